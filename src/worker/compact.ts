/**
 * store.compact({ before }): drops confirmed events at positions below `before` from the
 * local database, keeping a snapshot of every projection at the compaction point, so that
 * state, undo of later commits and time travel after it replay from there. The server keeps
 * the full log; ./restore.ts fetches what a later call needs from before the point.
 *
 * The compaction point is lowered, never raised, to the highest position that is
 *   - between two commits (a commit's events are undone and redone together: all of them
 *     stay or all go),
 *   - a valid start for the head (no marker after it undoes or redoes a commit before it:
 *     that commit's events would be needed again to replay without it),
 *   - before any event newer than this app knows (core/upcast.ts invariant 3: a snapshot
 *     must not bake in their skip).
 * Runs as one op of the writer, in its transaction: all of it happens or none does.
 */
import { InvalidEventError } from '../core/errors/index.ts';
import type { CompactResult } from '../api/store.ts';
import { isCloneFaithful } from '../core/clone.ts';
import { dropThrough, tallyRecord, type DropSurvey, type DropTally } from '../storage/compaction.ts';
import { readCompaction } from '../storage/compactionMeta.ts';
import { readCommit, recordContaining } from '../storage/log.ts';
import { boundTo, type LogDb } from '../storage/schema.ts';
import { readRewrites, writeRewrite } from '../storage/rewrites.ts';
import { stateAtPosition } from './timeTravel.ts';
import type { Draft } from './draft.ts';
import type { MarkerLog } from '../core/markers.ts';
import { UndoIndex } from '../core/undoIndex.ts';

export async function compactLog(draft: Draft, before: number, survey?: DropSurvey): Promise<CompactResult> {
  const { db, ctx } = draft;
  const { head, pending, compacted, markers, epoch } = draft.view;
  if (before > head) {
    throw new InvalidEventError(`compact(): before ${before} is beyond the head (${head}); the newest event is always kept`, {
      details: { before, head },
    });
  }
  const firstPending = head - pending + 1;
  if (pending > 0 && before > firstPending) {
    throw new InvalidEventError(
      `compact(): events from position ${firstPending} are pending (not yet confirmed by the server) and are never dropped; pass before <= ${firstPending}`,
      { details: { before, firstPending } },
    );
  }
  const point = await compactionPoint(db, markers, compacted, Math.min(before - 1, ctx.schema.newerFrom - 1));
  if (point <= compacted) return { compacted, removed: 0 };

  // Every projection's state at the point, before its events leave (a valid start: above).
  const states: unknown[] = [];
  for (const projection of ctx.projections) {
    const state = await stateAtPosition({ db, projection, markers, schema: ctx.schema, compacted }, point);
    if (!isCloneFaithful(state)) {
      throw new InvalidEventError(
        `compact(): the state of projection "${projection.name}" cannot be stored as a snapshot (it does not survive structured clone), so the events it is built from cannot be dropped`,
        { details: { projection: projection.name } },
      );
    }
    states.push(state);
  }
  const valid = survey && survey.epoch === epoch && survey.compacted === compacted;
  const { removed, maxTime } = await dropThrough(db, point, valid ? survey.tallies : undefined);
  for (const [i, p] of ctx.projections.entries()) {
    await db.snapshots.put({ projection: p.name, version: p.version, position: point, maxTime, state: states[i] });
  }
  draft.set({
    compacted: point,
    // Undo finds commits before the point only in memory (docs/compaction.md): found again by a walk.
    undo: UndoIndex.unknown(head),
    recent: draft.view.recent.filter((r) => r.position >= point),
    // Other stores on this database learn the new point before their next batch (batch.ts).
    epoch: await writeRewrite(db, await readRewrites(db), head + 1),
  });
  return { compacted: point, removed };
}

/** Records tallied per read transaction of surveyDrop(): each holds appends up for a few ms. */
const SURVEY_RECORDS = 4;

/**
 * Before the compaction's op: tallies the confirmed records below `before` in small read
 * transactions, outside the writer's queue (appends run between them), so that the op, which
 * holds appends up, reads keys instead of every dropped event (dropThrough). Undefined if
 * another store rewrote or compacted the log meanwhile: the op then reads them itself.
 */
export async function surveyDrop(db: LogDb, before: number): Promise<DropSurvey | undefined> {
  const tallies = new Map<number, DropTally>();
  let at: { epoch: number; compacted: number } | undefined;
  for (let from = 0; ; ) {
    const step = await db.transaction('r', db.records, db.meta, async (tx) => {
      const bound = boundTo(db, tx);
      const [rewrites, compaction, records] = await Promise.all([
        readRewrites(bound),
        readCompaction(bound),
        bound.records.where(':id').between(from, before, true, false).limit(SURVEY_RECORDS).toArray(),
      ]);
      return { epoch: rewrites.epoch, compacted: compaction.compacted, records };
    });
    at ??= { epoch: step.epoch, compacted: step.compacted };
    if (step.epoch !== at.epoch || step.compacted !== at.compacted) return undefined;
    for (const record of step.records) {
      // Pending events are never dropped; a record past `before` is cut by the op, which reads it.
      if (record.pending === 1 || record.last >= before) return { ...at, tallies };
      tallies.set(record.first, tallyRecord(record));
    }
    if (step.records.length < SURVEY_RECORDS) return { ...at, tallies };
    from = step.records.at(-1)!.last + 1;
  }
}

async function compactionPoint(db: LogDb, markers: MarkerLog, compacted: number, wanted: number): Promise<number> {
  let point = wanted;
  for (;;) {
    if (point <= compacted) return compacted;
    const next = await commitBoundary(db, markers.latestValidStart(point));
    if (next === point) return point;
    point = next;
  }
}

/** `position` if a commit ends there, else the position before the commit that holds it starts. */
async function commitBoundary(db: LogDb, position: number): Promise<number> {
  const [at, after] = await Promise.all([recordContaining(db, position), recordContaining(db, position + 1)]);
  const commit = at?.events[position - at.first]?.commit;
  if (commit === undefined || after?.events[position + 1 - after.first]?.commit !== commit) return position;
  const first = (await readCommit(db, commit))[0]?.position ?? position + 1;
  return first - 1;
}
