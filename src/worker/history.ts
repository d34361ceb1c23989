/**
 * History before the compaction point (storage/compaction.ts): a replay or a read that
 * needs events the local database no longer holds throws NeedsHistory inside the engine;
 * the engine fetches them from the sync server, restores them (a 'restore' op through the
 * writer) and runs the call again, or fails with HistoryUnavailableError when it cannot.
 */
import { HistoryUnavailableError } from '../core/errors/index.ts';
import { markerOf, type MarkerLog } from '../core/markers.ts';
import { restore } from '../storage/compaction.ts';
import { readCommit, readMarkers } from '../storage/log.ts';
import { isMarkerType, type StoredEvent } from '../core/event.ts';
import { queryEvents } from '../storage/query.ts';
import type { EventQuery } from '../api/store.ts';
import type { LogDb, RecordEvent } from '../storage/schema.ts';
import type { EventsResponse } from '../protocol/wire.ts';
import { toBody } from './integrate.ts';

/** Internal: the call needs the events at positions from+1..base. Never reaches the app. */
export class NeedsHistory extends Error {
  override readonly name = 'NeedsHistory';
  constructor(readonly from: number) {
    super(`events after position ${from} are before the compaction point`);
  }
}

export function isNeedsHistory(error: unknown): error is NeedsHistory {
  return error instanceof NeedsHistory;
}

export interface HistorySource {
  pull(after: number, limit: number): Promise<EventsResponse>;
}

export type HistoryEvent = RecordEvent & { position: number };

const PAGE = 1000;

/** The server's events at positions from+1..to; HistoryUnavailableError if it cannot give them. */
export async function fetchHistory(source: HistorySource | undefined, from: number, to: number): Promise<HistoryEvent[]> {
  if (!source) {
    throw new HistoryUnavailableError(
      `Events up to position ${to} were compacted and this store has no sync server to fetch them from`,
      { details: { compacted: to } },
    );
  }
  const events: HistoryEvent[] = [];
  try {
    while (from + events.length < to) {
      const after = from + events.length;
      const page = await source.pull(after, Math.min(PAGE, to - after));
      if (page.events.length === 0) throw new Error(`the server has no events after position ${after} (head ${page.head})`);
      for (const e of page.events) if (e.position <= to) events.push({ ...toBody(e), position: e.position });
    }
  } catch (cause) {
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
export async function restoreHistory(db: LogDb, markers: MarkerLog, known: number, from: number, events: readonly HistoryEvent[]): Promise<number> {
  return learnHistory(db, markers, known, await restore(db, from, events));
}

/** Teaches `markers` (which knew positions after `known`) the log from `base` on; returns `base`. */
export async function learnHistory(db: LogDb, markers: MarkerLog, known: number, base: number): Promise<number> {
  if (base >= known) return base;
  for (const e of await readMarkers(db)) if (e.position > base && e.position <= known) markers.add(markerOf(e)!);
  for (const target of markers.unknownTargets()) {
    const first = (await readCommit(db, target))[0]?.position;
    if (first !== undefined) markers.setFirst(target, first);
  }
  return base;
}

/** What withHistory() needs of the engine. */
export interface HistoryHost {
  db: LogDb;
  /** The compaction point (the engine's or the database's, whichever is higher). */
  base(): Promise<number>;
  source: HistorySource | undefined;
  /** Writes fetched events back through the engine's writer (a 'restore' op). */
  restore(from: number, events: HistoryEvent[]): Promise<unknown>;
}

/** Runs `call`; if it needs events before the compaction point, restores them and runs it again. */
export async function withHistory<T>(call: () => Promise<T>, host: HistoryHost): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (!isNeedsHistory(error)) throw error;
      const base = await host.base();
      if (attempt > 3 || error.from >= base) {
        throw new HistoryUnavailableError(`The events before position ${base} that this call needs could not be restored`, { details: { compacted: base } });
      }
      const restorable = await fetchRestorable(host.db, host.source, error.from, base);
      await host.restore(restorable.from, restorable.events);
    }
  }
}

/**
 * The server's events from+1..base, or from 1 if restoring only those would leave a point
 * that breaks storage/compaction.ts's invariants: one inside a commit (the event at `from`
 * and the one after it share a commit), or one that a restored marker reaches behind
 * (it targets a commit that is neither restored nor in the local log).
 */
export async function fetchRestorable(
  db: LogDb,
  source: HistorySource | undefined,
  from: number,
  base: number,
): Promise<{ from: number; events: HistoryEvent[] }> {
  if (from > 0) {
    const [edge, ...events] = await fetchHistory(source, from - 1, base);
    if (edge && edge.commit !== events[0]?.commit && (await reachesOnlyRestored(db, events))) return { from, events };
  }
  return { from: 0, events: await fetchHistory(source, 0, base) };
}

async function reachesOnlyRestored(db: LogDb, events: readonly HistoryEvent[]): Promise<boolean> {
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
 * fill); otherwise NeedsHistory from the query's `after`.
 */
export async function queryAfterBase(db: LogDb, query: EventQuery, base: number): Promise<StoredEvent[]> {
  const after = query.after ?? 0;
  if (base > 0 && after < base && !query.reverse) throw new NeedsHistory(after);
  const events = await queryEvents(db, query);
  if (base > 0 && after < base && events.length < (query.limit ?? Infinity)) throw new NeedsHistory(after);
  return events;
}
