/**
 * Integrating what the server said into the local log (docs/protocol.md "What the toolkit's client does"): the IO around the
 * pure merge (core/rebase.ts). It reads the confirmed head and the pending records, writes
 * the plan (confirmed events at the server's positions, surviving pending commits rebased
 * after them, rejected commits out of the log and into `rejected`), and has the draft
 * recompute state from the nearest valid snapshot at or before the confirmed head. The
 * common case after a push (the server confirms our own events in order) is confirmed in
 * place, with no rebase. Runs inside the engine's write transaction, on its draft.
 */
import { checkSchemaVersions, confirmsInOrder, PACK_EVENTS, pastConfirmed, rebase } from '../core/rebase.ts';
import type { StoredEvent } from '../core/event.ts';
import type { PositionedEvent } from '../protocol/wire.ts';
import { eventsOf, makeRecord } from '../storage/records.ts';
import { recordEventFromWire } from '../storage/shapes.ts';
import type { LogRecord, RecordEvent, RejectedRecord } from '../storage/schema.ts';
import { readHead } from '../storage/log.ts';
import { readConfirmedHead, readPendingRecords, storedFromRecords } from '../storage/pushable.ts';
import { readRewrites, writeRewrite } from '../storage/rewrites.ts';
import type { IntegrateInput, IntegrateResult } from '../sync/host.ts';
import type { Draft } from './draft.ts';

/** Events per record the integration writes (the rebase packs pending ones the same). */
const RECORD_EVENTS = PACK_EVENTS;

/** IntegrateResult with the rejected commits as the database keeps them. */
export interface Integrated extends IntegrateResult {
  rejected: RejectedRecord[];
}

export async function integrate(draft: Draft, input: IntegrateInput): Promise<Integrated> {
  const { db } = draft;
  const confirmed = await readConfirmedHead(db);
  const remote = pastConfirmed(input.remote, confirmed);
  if (!remote) return { gap: true, confirmed, rejected: [], changed: false };
  // With nothing pending (a plain pull) there is nothing of ours to confirm: no read for it.
  if (remote.length > 0 && input.rejected.length === 0 && draft.view.pending !== 0) {
    const own =
      input.readAt !== undefined && input.readAt === draft.view.epoch
        ? await confirmPushed(draft, confirmed, remote)
        : await confirmOwn(draft, confirmed, remote);
    if (own) return own;
  }

  const pendingRecords = await readPendingRecords(db);
  const plan = rebase({ confirmed, remote, pending: pendingRecords, rejected: input.rejected }, RECORD_EVENTS);
  if (plan.kind === 'gap') return { gap: true, confirmed, rejected: [], changed: false };
  if (plan.kind === 'unchanged') return { gap: false, confirmed, rejected: [], changed: false };
  const { from } = plan;
  const records = confirmedRecords(plan.remote);
  for (const group of plan.pending) {
    const record = makeRecord(group.first, group.events, true);
    if (group.ev !== undefined) record.ev = group.ev;
    records.push(record);
  }
  const at = Date.now();
  const rejected: RejectedRecord[] = plan.rejected.map((r) => ({ ...r, events: storedFromRecords(pendingRecords, r.commit), at }));

  // The pending records are the log's last ones (schema invariant 4): one range delete, not
  // one request per record (10k one-event commits: ~0.8 s as single deletes in Chromium).
  if (pendingRecords.length > 0) {
    const range = db.records.where(':id').between(pendingRecords[0]!.first, pendingRecords.at(-1)!.first, true, true);
    if ((await range.count()) === pendingRecords.length) await range.delete();
    else await db.records.bulkDelete(pendingRecords.map((r) => r.first)); // not the last ones: never deletes a confirmed record
  }
  await db.snapshots.where('position').aboveOrEqual(from).delete();
  await db.records.bulkAdd(records);
  for (const r of rejected) await db.rejected.put(r);

  await draft.rewind(confirmed);
  const events: StoredEvent[] = records.flatMap((r) => [...eventsOf(r)]);
  await draft.apply(events, { capture: true });
  draft.set({ pending: plan.pendingCount });
  // Positions that other stores on this database may have applied changed only if there
  // was a pending tail (rebased) or a rejected commit; a pure append is just new records.
  if (pendingRecords.length > 0) draft.set({ epoch: await writeRewrite(db, await readRewrites(db), from) });
  return { gap: false, confirmed: plan.confirmed, rejected, changed: true };
}

/**
 * The common case after a push: the server confirms our own pending events, in the order
 * the log has them (no other replica's events before them). Their positions stay, so only
 * the records holding them are written again, as confirmed, and nothing after them moves:
 * no rebase and no replay, however many events are still pending after them (rewriting all
 * of those for every page confirmed made a backlog of 10k one-event commits cost ~2 s per
 * 1000 confirmed in Chromium). Undefined when the case does not apply.
 */
async function confirmOwn(draft: Draft, confirmed: number, remote: readonly PositionedEvent[]): Promise<Integrated | undefined> {
  const { db } = draft;
  const last = confirmed + remote.length;
  const covering = await db.records
    .where(':id')
    .between(confirmed + 1, last, true, true)
    .toArray();
  if (covering[0]?.first !== confirmed + 1 || covering.some((r) => r.pending !== 1)) return undefined;
  const local = covering.flatMap((r) => r.events);
  if (!confirmsInOrder(remote, local)) return undefined;
  checkSchemaVersions(covering, remote);
  // A commit the page cut in two: its rest stays pending, where it is.
  return writeConfirmed(
    draft,
    confirmed,
    remote,
    { events: local.slice(remote.length), ev: covering[covering.length - 1]!.ev },
    await readHead(db),
  );
}

/**
 * confirmOwn() for events known to be this log's pending events from `confirmed` + 1 on, in
 * order (IntegrateInput.readAt: nothing has rewritten the log since they were read and
 * pushed): their records are not read again, only their keys, and the last one if it holds
 * more than was confirmed (a commit the server has not seen yet stays pending).
 */
async function confirmPushed(draft: Draft, confirmed: number, remote: readonly PositionedEvent[]): Promise<Integrated | undefined> {
  const { db } = draft;
  const { head } = draft.view;
  const last = confirmed + remote.length;
  if (last > head) return undefined;
  const range = db.records.where(':id').between(confirmed + 1, last, true, true);
  const [keys, [after]] = await Promise.all([range.primaryKeys(), db.records.where(':id').above(last).limit(1).primaryKeys()]);
  if (keys[0] !== confirmed + 1) return undefined;
  // Records tile the log: the last key's record ends where the next begins, or at the head.
  if ((after ?? head + 1) - 1 <= last) return writeConfirmed(draft, confirmed, remote, undefined, head);
  const straddling = await db.records.get(keys[keys.length - 1]!);
  if (!straddling) return undefined;
  return writeConfirmed(
    draft,
    confirmed,
    remote,
    { events: straddling.events.slice(last - straddling.first + 1), ev: straddling.ev },
    head,
  );
}

/**
 * What confirmOwn() and confirmPushed() write once they know the pending records of
 * `confirmed` + 1 .. last hold our `remote` events: those records replaced by the server's
 * events, confirmed, and by `rest` (the last record's events after them, its commit's
 * expectedVersion with them), still pending; the log's head is `head`.
 */
async function writeConfirmed(
  draft: Draft,
  confirmed: number,
  remote: readonly PositionedEvent[],
  rest: { events: RecordEvent[]; ev: LogRecord['ev'] } | undefined,
  head: number,
): Promise<Integrated> {
  const { db } = draft;
  const last = confirmed + remote.length;
  const records = confirmedRecords(remote);
  if (rest && rest.events.length > 0) {
    const record = makeRecord(last + 1, rest.events, true);
    if (rest.ev !== undefined) record.ev = rest.ev;
    records.push(record);
  }
  // One range delete (the covering records' keys are exactly this range), not one per record.
  await db.records
    .where(':id')
    .between(confirmed + 1, last, true, true)
    .delete();
  await db.records.bulkAdd(records);
  // What follows the confirmed events is pending (schema invariant 4). No position changed,
  // but other stores on this database count their pending again.
  draft.set({ pending: head - last, epoch: await writeRewrite(db, await readRewrites(db), head + 1) });
  return { gap: false, confirmed: last, rejected: [], changed: true };
}

/** The server's events as confirmed records of at most RECORD_EVENTS events each. */
function confirmedRecords(remote: readonly PositionedEvent[]): LogRecord[] {
  const records: LogRecord[] = [];
  for (let i = 0; i < remote.length; i += RECORD_EVENTS) {
    const chunk = remote.slice(i, i + RECORD_EVENTS);
    records.push(makeRecord(chunk[0]!.position, chunk.map(recordEventFromWire), false));
  }
  return records;
}
