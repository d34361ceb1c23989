/**
 * Restoring compacted history: the log before the compaction point (storage/compaction.ts),
 * fetched back from the sync server. A replay or a read that needs events the local
 * database no longer holds throws NeedsRestore inside the engine;
 * the engine fetches them from the sync server, restores them (a 'restore' op through the
 * writer) and runs the call again, or fails with HistoryUnavailableError when it cannot.
 */
import { HistoryUnavailableError, isDecryptionError } from '../core/errors/index.ts';
import { markerOf, type MarkerLog } from '../core/markers.ts';
import { restore } from '../storage/compaction.ts';
import { readCommit, readMarkers } from '../storage/log.ts';
import { isMarkerType, type StoredEvent } from '../core/event.ts';
import { queryEvents } from '../storage/query.ts';
import type { EventQuery } from '../api/store.ts';
import type { LogDb, RecordEvent } from '../storage/schema.ts';
import type { EventsResponse } from '../protocol/wire.ts';
import { recordEventFromWire } from '../storage/shapes.ts';

/** Internal: the call needs the events at positions from+1..compacted. Never reaches the app. */
export class NeedsRestore extends Error {
  override readonly name = 'NeedsRestore';
  constructor(readonly from: number) {
    super(`events after position ${from} are before the compaction point`);
  }
}

export function isNeedsRestore(error: unknown): error is NeedsRestore {
  return error instanceof NeedsRestore;
}

export interface RestoreSource {
  pull(after: number, limit: number): Promise<EventsResponse>;
}

export type RestoredEvent = RecordEvent & { position: number };

const PAGE = 1000;

/** The server's events at positions from+1..to; HistoryUnavailableError if it cannot give them. */
async function fetchCompacted(source: RestoreSource | undefined, from: number, to: number): Promise<RestoredEvent[]> {
  if (!source) {
    throw new HistoryUnavailableError(`Events up to position ${to} were compacted and this store has no sync server to fetch them from`, {
      details: { compacted: to },
    });
  }
  const events: RestoredEvent[] = [];
  try {
    while (from + events.length < to) {
      const after = from + events.length;
      const page = await source.pull(after, Math.min(PAGE, to - after));
      if (page.events.length === 0) throw new Error(`the server has no events after position ${after} (head ${page.head})`);
      for (const e of page.events) if (e.position <= to) events.push({ ...recordEventFromWire(e), position: e.position });
    }
  } catch (cause) {
    if (isDecryptionError(cause)) throw cause; // not a network problem: retrying online would not help
    throw new HistoryUnavailableError(
      `Events up to position ${to} were compacted and could not be fetched from the sync server (${String((cause as Error)?.message ?? cause)}); retry once online`,
      { cause, details: { compacted: to } },
    );
  }
  return events;
}

/**
 * Writes fetched events back below the compaction point and teaches `markers` what it did
 * not know (this copy knew positions after `known` only): the markers now in the database
 * below `known`, and the first positions of the commits that markers target.
 */
export async function restoreBelow(
  db: LogDb,
  markers: MarkerLog,
  known: number,
  from: number,
  events: readonly RestoredEvent[],
): Promise<number> {
  return learnRestored(db, markers, known, await restore(db, from, events));
}

/** Teaches `markers` (which knew positions after `known`) the log from `compacted` on; returns `compacted`. */
export async function learnRestored(db: LogDb, markers: MarkerLog, known: number, compacted: number): Promise<number> {
  if (compacted >= known) return compacted;
  for (const e of await readMarkers(db)) if (e.position > compacted && e.position <= known) markers.add(markerOf(e)!);
  for (const target of markers.unknownTargets()) {
    const first = (await readCommit(db, target))[0]?.position;
    if (first !== undefined) markers.setFirst(target, first);
  }
  return compacted;
}

/** What withRestore() needs of the engine. */
export interface RestoreHost {
  db: LogDb;
  /** The compaction point (the engine's or the database's, whichever is higher). */
  compacted(): Promise<number>;
  source: RestoreSource | undefined;
  /** Writes fetched events back through the engine's writer (a 'restore' op). */
  restore(from: number, events: RestoredEvent[]): Promise<unknown>;
}

/** Runs `call`; if it needs events before the compaction point, restores them and runs it again. */
export async function withRestore<T>(call: () => Promise<T>, host: RestoreHost): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (!isNeedsRestore(error)) throw error;
      const compacted = await host.compacted();
      if (attempt > 3 || error.from >= compacted) {
        throw new HistoryUnavailableError(`The events before position ${compacted} that this call needs could not be restored`, {
          details: { compacted },
        });
      }
      const restorable = await fetchRestorable(host.db, host.source, error.from, compacted);
      await host.restore(restorable.from, restorable.events);
    }
  }
}

/**
 * The server's events from+1..compacted, or from 1 if restoring only those would leave a point
 * that breaks storage/compaction.ts's invariants: one inside a commit (the event at `from`
 * and the one after it share a commit), or one that a restored marker reaches behind
 * (it targets a commit that is neither restored nor in the local log).
 */
export async function fetchRestorable(
  db: LogDb,
  source: RestoreSource | undefined,
  from: number,
  compacted: number,
): Promise<{ from: number; events: RestoredEvent[] }> {
  if (from > 0) {
    const [edge, ...events] = await fetchCompacted(source, from - 1, compacted);
    if (edge && edge.commit !== events[0]?.commit && (await reachesOnlyRestored(db, events))) return { from, events };
  }
  return { from: 0, events: await fetchCompacted(source, 0, compacted) };
}

async function reachesOnlyRestored(db: LogDb, events: readonly RestoredEvent[]): Promise<boolean> {
  const commits = new Set(events.map((e) => e.commit));
  for (const e of events) {
    if (!isMarkerType(e.type)) continue;
    const target = (e.payload as { commit?: unknown } | null)?.commit;
    if (typeof target === 'string' && !commits.has(target) && (await readCommit(db, target)).length === 0) return false;
  }
  return true;
}

/**
 * events(query) on a compacted log: what the local log holds may answer alone (a forward
 * read after the compaction point, or a newest-first read whose limit the local events
 * fill); otherwise NeedsRestore from the query's `after`.
 */
export async function queryAfterCompacted(db: LogDb, query: EventQuery, compacted: number): Promise<StoredEvent[]> {
  const after = query.after ?? 0;
  if (compacted > 0 && after < compacted && !query.reverse) throw new NeedsRestore(after);
  const events = await queryEvents(db, query);
  if (compacted > 0 && after < compacted && events.length < (query.limit ?? Infinity)) throw new NeedsRestore(after);
  return events;
}
