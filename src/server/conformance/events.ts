/**
 * Data for storage tests: wire events with sensible defaults, what a storage answers for
 * them, and a subscriber that records what it hears. The conformance checks use them, and a
 * storage's own tests may too (exported by "eventloom/server/conformance").
 */
import type { PositionedEvent, PushResult, WireEvent } from '../../protocol/wire.ts';
import type { SyncStorage } from '../storage.ts';
import { ConformanceError } from './assert.ts';

let counter = 0;
const unique = (prefix: string) => `${prefix}-${(++counter).toString(36)}-${Math.random().toString(36).slice(2, 10)}`;

/** A wire event with sensible defaults and a fresh id; its own commit unless `commit` is given. */
export function wireEvent(over: Partial<WireEvent> = {}): WireEvent {
  const id = over.id ?? unique('ev');
  counter++;
  return {
    id,
    type: 'added',
    stream: 'todos',
    clientId: 'client-a',
    commit: id,
    time: 1_700_000_000_000 + counter,
    payload: { n: counter },
    ...over,
  };
}

/** `count` events sharing one commit. */
export function wireCommit(count: number, over: Partial<WireEvent> = {}): WireEvent[] {
  const commit = over.commit ?? unique('commit');
  return Array.from({ length: count }, () => wireEvent({ ...over, commit }));
}

/** What a read gives back for a pushed event: no expectedVersion, plus its position. */
export function positioned(event: WireEvent, position: number): PositionedEvent {
  const { expectedVersion: _, ...rest } = event;
  return { ...rest, position };
}

/** The results of `events` landing at first, first+1, ... */
export const landed = (events: readonly WireEvent[], first: number): PushResult[] =>
  events.map((e, i) => ({ id: e.id, position: first + i }));

/** The results of `events` rejected for a stream at `streamVersion`. */
export const conflicts = (events: readonly WireEvent[], streamVersion: number): PushResult[] =>
  events.map((e) => ({ id: e.id, error: 'conflict' as const, streamVersion }));

/** How long a subscriber waits to hear a head before the check fails. */
const HEARING_MS = 10_000;

/** Records the heads a subscriber hears; `until(h)` resolves once it has heard h or more. */
export function hear(storage: SyncStorage, logId: string) {
  const heads: number[] = [];
  const waiting: { min: number; resolve: () => void }[] = [];
  const unsubscribe = storage.subscribe(logId, (head) => {
    heads.push(head);
    for (const w of waiting.splice(0)) {
      if (head >= w.min) w.resolve();
      else waiting.push(w);
    }
  });
  const until = (min: number): Promise<void> => {
    if (heads.some((h) => h >= min)) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        const at = waiting.indexOf(entry);
        if (at >= 0) waiting.splice(at, 1);
        reject(
          new ConformanceError(
            `a subscriber of ${logId} did not hear head ${min} within ${HEARING_MS / 1000} s (heard ${heads.length > 0 ? heads.join(', ') : 'nothing'}): subscribe() listeners must hear of every push`,
          ),
        );
      }, HEARING_MS);
      const entry = {
        min,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      waiting.push(entry);
    });
  };
  return { heads, unsubscribe, until };
}
