/**
 * Event schema evolution. An app that changes the shape of an event type's payload keeps
 * reading what its older versions recorded: it declares, per event type, the upcasters that
 * turn each older shape into the next one,
 *
 *   upcasters: { 'todo.added': [v1ToV2, v2ToV3] }   // 'todo.added' is now at version 3
 *
 * and reducers and queries see every event in the current shape. Stored events are never
 * rewritten: the store upcasts on read.
 *
 * Invariants:
 * 1. A type's current version is 1 + the number of its upcasters; `upcasters[type][i]`
 *    turns version i+1 into i+2. An event without `schemaVersion` is at version 1.
 * 2. The store writes the current version on every event it appends (the field is left out
 *    at version 1, so apps without upcasters store exactly what they did before).
 * 3. An event whose version is newer than this app knows (written by a newer app on
 *    another replica) is kept, synced and returned by queries as it is, but never given to
 *    a reducer: `newerFrom` records the lowest position of one that a replay of the head
 *    state met (an event whose commit is undone is never met), so the engine reports the
 *    app as outdated and takes no snapshot that would bake the skip in. It only goes down
 *    (a failed batch may have lowered it: that costs snapshots, never correctness).
 * 4. Upcasters are pure, like reducers: they return a new payload and must not mutate the
 *    one they are given (the engine keeps stored events in memory).
 */
import { UpcastError } from './errors/index.ts';
import type { StoredEvent } from './event.ts';

/** Turns a payload of one version into the next; `event` is the stored event as recorded. */
export type Upcaster = (payload: any, event: StoredEvent) => unknown;
export type Upcasters = Readonly<Record<string, readonly Upcaster[]>>;

export class EventSchema {
  readonly #chains: ReadonlyMap<string, readonly Upcaster[]>;
  /** The lowest position of an event newer than this app knows, once one was read (invariant 3). */
  newerFrom = Infinity;

  constructor(upcasters: Upcasters) {
    this.#chains = new Map(Object.entries(upcasters).filter(([, chain]) => chain.length > 0));
  }

  /** The version this app writes for `type` (invariant 1). */
  current(type: string): number {
    return (this.#chains.get(type)?.length ?? 0) + 1;
  }

  /**
   * The event in its type's current shape; undefined if it is newer than this app knows.
   * `track`: a replay of the log notes such an event in `newerFrom`; a read (events(),
   * stateAt(), rejected()) does not, so reading never changes the store's status.
   */
  upcast(event: StoredEvent, track = true): StoredEvent | undefined {
    if (event.schemaVersion === undefined && this.#chains.size === 0) return event; // the common case
    const from = event.schemaVersion ?? 1;
    const chain = this.#chains.get(event.type);
    const current = (chain?.length ?? 0) + 1;
    if (from === current) return event;
    if (from > current) {
      if (track && event.position < this.newerFrom) this.newerFrom = event.position;
      return undefined;
    }
    let payload = event.payload;
    for (let version = from; version < current; version++) {
      try {
        payload = chain![version - 1]!(payload, event);
      } catch (cause) {
        throw new UpcastError(
          `The upcaster of "${event.type}" from version ${version} to ${version + 1} threw on event ${event.id} (position ${event.position}): ${String((cause as Error)?.message ?? cause)}`,
          { cause, details: { eventId: event.id, type: event.type, position: event.position, fromVersion: version } },
        );
      }
    }
    const upcast: StoredEvent = { ...event, payload, schemaVersion: current };
    if (payload === undefined) delete upcast.payload;
    return upcast;
  }

  /** Events as queries return them: upcast, or as stored when newer than this app knows. */
  read(events: readonly StoredEvent[]): StoredEvent[] {
    return events.map((e) => this.upcast(e, false) ?? e);
  }

  /** For replays that only read (stateAt): upcasts without noting newer events. */
  readonly reading: Pick<EventSchema, 'upcast'> = { upcast: (event) => this.upcast(event, false) };
}

/** Checks the `upcasters` option (a configuration mistake is a TypeError, as in defineProjection). */
export function eventSchema(upcasters: unknown, where: string): EventSchema {
  if (upcasters === undefined) return new EventSchema({});
  const proto = typeof upcasters === 'object' && upcasters !== null ? Object.getPrototypeOf(upcasters) : undefined;
  if (proto !== Object.prototype && proto !== null) {
    throw new TypeError(`${where}: upcasters must be an object { [eventType]: [v1ToV2, v2ToV3, ...] }`);
  }
  for (const [type, chain] of Object.entries(upcasters as object)) {
    if (type.startsWith('$'))
      throw new TypeError(`${where}: upcasters["${type}"]: types starting with "$" are reserved markers and have no upcasters`);
    if (!Array.isArray(chain) || !chain.every((f) => typeof f === 'function')) {
      throw new TypeError(`${where}: upcasters["${type}"] must be an array of functions (index i turns version i+1 into i+2)`);
    }
  }
  return new EventSchema(upcasters as Upcasters);
}
