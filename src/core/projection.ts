/**
 * A projection is a decider's read side: `initial()` plus a pure `reduce`, and the
 * state at any point of the log is a plain fold of `reduce` over the effective events
 * up to that point. `version` names the reducer's behaviour: snapshots taken by another
 * version are ignored and rebuilt.
 */
import type { StoredEvent } from './event.ts';

export interface Projection<S> {
  readonly name: string;
  readonly version: number;
  readonly initial: () => S;
  readonly reduce: (state: S, event: StoredEvent) => S;
  /**
   * Whether states are frozen as they are made (default true), so a reducer that changes the
   * state it is given fails as a ProjectionError (./freeze.ts). `false` skips that work.
   */
  readonly freeze?: boolean;
}

export function defineProjection<S>(definition: {
  name: string;
  version?: number;
  initial: () => S;
  reduce: (state: S, event: StoredEvent) => S;
  freeze?: boolean;
}): Projection<S> {
  const { name, version = 1, initial, reduce, freeze = true } = definition;
  if (typeof name !== 'string' || name.length === 0) throw new TypeError('defineProjection: name must be a non-empty string');
  if (!Number.isInteger(version) || version < 1) throw new TypeError(`defineProjection(${name}): version must be a positive integer`);
  if (typeof initial !== 'function' || typeof reduce !== 'function') {
    throw new TypeError(`defineProjection(${name}): initial and reduce must be functions`);
  }
  if (typeof freeze !== 'boolean') throw new TypeError(`defineProjection(${name}): freeze must be a boolean`);
  return Object.freeze({ name, version, initial, reduce, freeze });
}
