/**
 * What a sync server stores: append-only logs keyed by logId. Every implementation passes
 * the conformance suite ("eventloom/server/conformance", ./conformance.ts); how to write one:
 * docs/server-storage.md.
 *
 * Invariants every storage keeps:
 * 1. Positions per log are 1, 2, 3 ... with no gap and no duplicate, also under concurrent
 *    pushes (from several server instances, for a shared database).
 * 2. A read never shows a position unless every lower one is visible (clients resume
 *    `after` their cursor and would skip an event for good otherwise).
 * 3. push() is atomic per commit and idempotent by event id (see plan.ts).
 * 4. subscribe() listeners hear of every push that adds events to the log, eventually,
 *    from any server instance sharing the storage.
 */
import type { EventsResponse, PushResult, WireEvent } from '../protocol/wire.ts';
import { getOrSet } from '../core/maps.ts';

export interface SyncStorage {
  push(logId: string, events: readonly WireEvent[]): Promise<{ results: PushResult[]; head: number }>;
  read(logId: string, after: number, limit: number): Promise<EventsResponse>;
  head(logId: string): Promise<number>;
  /** Calls `listener(head)` after new events land in `logId`; returns unsubscribe. */
  subscribe(logId: string, listener: (head: number) => void): () => void;
  close(): Promise<void>;
}

/** In-process fan-out of "log X has a new head" for storages without a shared channel. */
export class Listeners {
  readonly #byLog = new Map<string, Set<(head: number) => void>>();

  add(logId: string, listener: (head: number) => void): () => void {
    const set = getOrSet(this.#byLog, logId, () => new Set<(head: number) => void>());
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.#byLog.delete(logId);
    };
  }

  emit(logId: string, head: number): void {
    for (const listener of [...(this.#byLog.get(logId) ?? [])]) {
      try {
        listener(head);
      } catch {
        // one subscriber's failure is its own
      }
    }
  }

  /** The logs that have subscribers. */
  logs(): string[] {
    return [...this.#byLog.keys()];
  }

  clear(): void {
    this.#byLog.clear();
  }
}
