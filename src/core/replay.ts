/**
 * Replay: state is a plain fold of `reduce` over the effective events of a view.
 * An event is effective when it is not a marker, its commit is not undone in the view,
 * and (for a time view) its time is at or before the view's time.
 */
import { ProjectionError } from './errors/index.ts';
import { freezeState } from './freeze.ts';
import { isMarkerType, type StoredEvent } from './event.ts';
import type { Projection } from './projection.ts';
import type { EventSchema } from './upcast.ts';

export type States = Record<string, unknown>;

export interface FoldOptions {
  readonly projections: readonly Projection<unknown>[];
  /** Working states, updated in place. */
  readonly states: States;
  /** A projection applies only events after its start position (where its state came from). */
  readonly startAt: Readonly<Record<string, number>>;
  readonly undone: ReadonlySet<string>;
  readonly maxTime?: number;
  /** Turns stored events into their current shape; skips those newer than the app (core/upcast.ts). */
  readonly upcast: Pick<EventSchema, 'upcast'>;
  /** Called after the event at each position that is a multiple of `every`. */
  readonly every?: number;
  readonly onBoundary?: (position: number, states: States) => void;
  /** Called before each event with the states as they are before it (not frozen: see fold). */
  readonly beforeEvent?: (event: StoredEvent, states: States) => void;
}

export function fold(options: FoldOptions, events: Iterable<StoredEvent>): void {
  const { projections, states, startAt, undone, maxTime, every, onBoundary, beforeEvent, upcast } = options;
  const before: States = { ...states };
  for (const stored of events) {
    if (beforeEvent) beforeEvent(stored, states);
    const effective = !isMarkerType(stored.type) && !undone.has(stored.commit) && (maxTime === undefined || stored.time <= maxTime);
    const event = effective ? upcast.upcast(stored) : stored;
    if (effective && event) {
      for (const projection of projections) {
        if (event.position <= (startAt[projection.name] ?? 0)) continue;
        states[projection.name] = reduceOne(projection, states[projection.name], event);
      }
    }
    if (onBoundary && every !== undefined && stored.position % every === 0) onBoundary(stored.position, states);
  }
  // Frozen once the fold is done, not after every event: the states in between are the
  // fold's own, and a long replay would pay the walk of each state it copied (./freeze.ts).
  for (const projection of projections) {
    if (projection.name in states) states[projection.name] = frozen(projection, states[projection.name], before[projection.name]);
  }
}

export function reduceOne(projection: Projection<unknown>, state: unknown, event: StoredEvent): unknown {
  let next: unknown;
  try {
    next = projection.reduce(state, event);
  } catch (cause) {
    // A frozen state refuses changes: say what the reducer did wrong (./freeze.ts).
    const mutated = cause instanceof TypeError && typeof state === 'object' && state !== null && Object.isFrozen(state);
    const hint = mutated ? ' (a reducer must return a new state, not change the one it is given)' : '';
    throw new ProjectionError(
      `Projection "${projection.name}" threw on event ${event.id} (${event.type} at position ${event.position}): ${String((cause as Error)?.message ?? cause)}${hint}`,
      { cause, details: { projection: projection.name, eventId: event.id, position: event.position } },
    );
  }
  return next;
}

/**
 * `state` frozen as the projection asks (./freeze.ts); for states from snapshots too.
 * `previous`, a frozen state it grew from, spares the walk of what the two share.
 */
export function frozen(projection: Projection<unknown>, state: unknown, previous?: unknown): unknown {
  return projection.freeze === false ? state : freezeState(state, previous);
}

export function initialState(projection: Projection<unknown>): unknown {
  try {
    return frozen(projection, projection.initial());
  } catch (cause) {
    throw new ProjectionError(`Projection "${projection.name}": initial() threw: ${String((cause as Error)?.message ?? cause)}`, {
      cause,
      details: { projection: projection.name },
    });
  }
}
