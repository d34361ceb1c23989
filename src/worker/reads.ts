/**
 * The engine's reads that go to the database: stateAt() of a past point, events(query) and
 * the rejected commits. Each reads the log in one read transaction that starts with the
 * compaction point as the database has it (another tab may have moved it), so no
 * compaction lands between the point and the records read after it.
 */
import type { EventQuery } from '../api/store.ts';
import type { StoredEvent } from '../core/event.ts';
import type { Projection } from '../core/projection.ts';
import { initialState } from '../core/replay.ts';
import type { EventSchema } from '../core/upcast.ts';
import { readCompaction } from '../storage/compactionMeta.ts';
import { validateQuery } from '../storage/query.ts';
import { boundTo, type LogDb } from '../storage/schema.ts';
import { learnRestored, queryAfterCompacted } from './restore.ts';
import { parseStateAt, stateAtView } from './timeTravel.ts';
import type { LogView } from './view.ts';

/** What the reads need of the engine. */
export interface ReadContext {
  readonly db: LogDb;
  readonly schema: EventSchema;
  /** The engine's view now. */
  view(): LogView;
  /** Resolves once every call queued before it has run. */
  settled(): Promise<void>;
  /** Runs `call`, restoring compacted history it needs first (./restore.ts). */
  withRestore<T>(call: () => Promise<T>): Promise<T>;
}

/** stateAt(): the head's state for a point at or past it; else a replay from a snapshot. */
export async function readStateAt(ctx: ReadContext, projection: Projection<unknown>, at: unknown): Promise<unknown> {
  const target = parseStateAt(at);
  await ctx.settled();
  const now = ctx.view();
  if ('position' in target ? target.position >= now.head : target.time >= now.maxTime) return now.states[projection.name];
  if ('position' in target && target.position <= 0) return initialState(projection);
  return ctx.withRestore(() =>
    readLog(ctx.db, async (db, compacted) => {
      const view = ctx.view(); // as a restore before this attempt left it
      // History another tab restored below our point: its markers, in a copy of ours.
      const markers = compacted < view.compacted ? view.markers.clone() : view.markers;
      if (compacted < view.compacted) await learnRestored(db, markers, view.compacted, compacted);
      return stateAtView({ db, projection, markers, schema: ctx.schema, compacted }, target, view.head);
    }),
  );
}

/** events(query), in the current shape of each event type (upcast). */
export async function readEvents(ctx: ReadContext, query: EventQuery | undefined): Promise<StoredEvent[]> {
  const q = validateQuery(query);
  return ctx.withRestore(async () => ctx.schema.read(await readLog(ctx.db, (db, compacted) => queryAfterCompacted(db, q, compacted))));
}

function readLog<T>(unbound: LogDb, read: (db: LogDb, compacted: number) => Promise<T>): Promise<T> {
  return unbound.transaction('r', ['records', 'slices', 'snapshots', 'meta'], async (tx) => {
    const db = boundTo(unbound, tx); // every read in this transaction (storage/schema.ts)
    return read(db, (await readCompaction(db)).compacted);
  });
}
