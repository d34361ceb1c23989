/**
 * Integrating what the server said into the local log (DESIGN "Sync"): confirmed events
 * take the server's positions after the confirmed prefix; pending events that the server
 * now has leave the pending tail; commits the server rejected leave the log for
 * `rejected`; the remaining pending commits are rebased after the confirmed ones (their
 * positions move, their ids do not). State is recomputed from the nearest valid snapshot
 * at or before the confirmed head, not from the start. Runs inside the engine's write
 * transaction, on its working copy.
 */
import { ProtocolError } from '../core/errors/index.ts';
import type { StoredEvent } from '../core/event.ts';
import type { PositionedEvent } from '../protocol/wire.ts';
import { eventsOf, makeRecord } from '../storage/records.ts';
import type { LogDb, LogRecord, RecordEvent, RejectedRecord } from '../storage/schema.ts';
import { readHead } from '../storage/log.ts';
import { readConfirmedHead, readPendingRecords, readRewrites, storedFromRecords, writeRewrite } from '../storage/sync.ts';
import type { Working } from './working.ts';

export interface IntegrateInput {
  /** Confirmed events from the server, ascending; those at or below the confirmed head are ignored. */
  remote: PositionedEvent[];
  /**
   * Commits the server rejected: for expectedVersion (with the stream's version there), or
   * as a commit it can never accept (with the server's reason).
   */
  rejected: ({ commit: string; streamVersion: number } | { commit: string; reason: RejectedRecord['reason'] })[];
  /**
   * The remote events are this log's own pending events, pushed as read at this rewrite
   * epoch (storage/sync.ts readPushable), in log order from the confirmed head on: if the
   * epoch has not moved since, their records need not be read again to be confirmed.
   */
  readAt?: number;
}

export interface IntegrateResult {
  /** The remote events did not continue the confirmed prefix: pull from `confirmed` instead. */
  gap: boolean;
  confirmed: number;
  rejected: RejectedRecord[];
  changed: boolean;
}

const RECORD_EVENTS = 1000;

export async function integrate(db: LogDb, ws: Working, input: IntegrateInput): Promise<IntegrateResult> {
  const confirmed = await readConfirmedHead(db);
  const remote = input.remote.filter((e) => e.position > confirmed);
  if (remote.length > 0 && remote[0]!.position !== confirmed + 1) return { gap: true, confirmed, rejected: [], changed: false };
  // With nothing pending (a plain pull) there is nothing of ours to confirm: no read for it.
  if (remote.length > 0 && input.rejected.length === 0 && ws.pending !== 0) {
    const own = input.readAt !== undefined && input.readAt === ws.epoch ? await confirmPushed(db, ws, confirmed, remote) : await confirmOwn(db, ws, confirmed, remote);
    if (own) return own;
  }

  const pendingRecords = await readPendingRecords(db);
  const remoteIds = new Set(remote.map((e) => e.id));
  checkSchemaVersions(pendingRecords, remote);
  const rejectedBy = new Map(input.rejected.map((r) => [r.commit, r]));
  const survivors: { events: RecordEvent[]; ev: LogRecord['ev'] }[] = [];
  const rejected: RejectedRecord[] = [];
  const seenRejected = new Set<string>();
  for (const record of pendingRecords) {
    const keep = record.events.filter((e) => !remoteIds.has(e.id) && !rejectedBy.has(e.commit));
    if (keep.length > 0) survivors.push({ events: keep, ev: record.ev });
    for (const e of record.events) {
      const why = rejectedBy.get(e.commit);
      if (!why || remoteIds.has(e.id) || seenRejected.has(e.commit)) continue;
      seenRejected.add(e.commit);
      const events = storedFromRecords(pendingRecords, e.commit);
      if ('reason' in why) {
        rejected.push({ commit: e.commit, events, reason: why.reason, at: Date.now() });
        continue;
      }
      rejected.push({
        commit: e.commit,
        events,
        reason: {
          name: 'ConcurrencyError',
          message: `The server rejected commit ${e.commit}: stream "${e.stream}" is at version ${why.streamVersion}, not the expected ${String(record.ev)}`,
        },
        streamVersion: why.streamVersion,
        at: Date.now(),
      });
    }
  }
  if (remote.length === 0 && rejected.length === 0) return { gap: false, confirmed, rejected, changed: false };

  const from = confirmed + 1;
  const records = confirmedRecords(remote);
  // The pending commits that stay, after the remote events: packed into records of up to
  // RECORD_EVENTS events (a backlog of one-event commits is a few records to write, not one
  // per commit), except a commit with an expectedVersion, which keeps a record of its own
  // (the record's `ev` is its commit's).
  let next = confirmed + remote.length + 1;
  let packed: RecordEvent[] = [];
  const pack = (events: RecordEvent[], ev?: LogRecord['ev']) => {
    if (events.length === 0) return;
    const record = makeRecord(next, events, true);
    if (ev !== undefined) record.ev = ev;
    records.push(record);
    next += events.length;
  };
  for (const group of survivors) {
    if (group.ev !== undefined || packed.length + group.events.length > RECORD_EVENTS) {
      pack(packed);
      packed = [];
    }
    if (group.ev !== undefined) pack(group.events, group.ev);
    else packed.push(...group.events);
  }
  pack(packed);

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

  await ws.rewind(confirmed);
  const events: StoredEvent[] = records.flatMap((r) => [...eventsOf(r)]);
  await ws.apply(events, { capture: true });
  ws.pending = survivors.reduce((n, g) => n + g.events.length, 0);
  // Positions that other stores on this database may have applied changed only if there
  // was a pending tail (rebased) or a rejected commit; a pure append is just new records.
  if (pendingRecords.length > 0) ws.epoch = await writeRewrite(db, await readRewrites(db), from);
  return { gap: false, confirmed: confirmed + remote.length, rejected, changed: true };
}

/**
 * The common case after a push: the server confirms our own pending events, in the order
 * the log has them (no other replica's events before them). Their positions stay, so only
 * the records holding them are written again, as confirmed, and nothing after them moves:
 * no rebase and no replay, however many events are still pending after them (rewriting all
 * of those for every page confirmed made a backlog of 10k one-event commits cost ~2 s per
 * 1000 confirmed in Chromium). Undefined when the case does not apply.
 */
async function confirmOwn(db: LogDb, ws: Working, confirmed: number, remote: readonly PositionedEvent[]): Promise<IntegrateResult | undefined> {
  const last = confirmed + remote.length;
  const covering = await db.records.where(':id').between(confirmed + 1, last, true, true).toArray();
  if (covering[0]?.first !== confirmed + 1 || covering.some((r) => r.pending !== 1)) return undefined;
  const local = covering.flatMap((r) => r.events);
  if (local.length < remote.length || remote.some((e, i) => e.id !== local[i]!.id)) return undefined;
  checkSchemaVersions(covering, remote);
  // A commit the page cut in two: its rest stays pending, where it is.
  return writeConfirmed(db, ws, confirmed, remote, { events: local.slice(remote.length), ev: covering[covering.length - 1]!.ev }, await readHead(db));
}

/**
 * confirmOwn() for events known to be this log's pending events from `confirmed` + 1 on, in
 * order (IntegrateInput.readAt: nothing has rewritten the log since they were read and
 * pushed): their records are not read again, only their keys, and the last one if it holds
 * more than was confirmed (a commit the server has not seen yet stays pending).
 */
async function confirmPushed(db: LogDb, ws: Working, confirmed: number, remote: readonly PositionedEvent[]): Promise<IntegrateResult | undefined> {
  const last = confirmed + remote.length;
  if (last > ws.head) return undefined;
  const range = db.records.where(':id').between(confirmed + 1, last, true, true);
  const [keys, [after]] = await Promise.all([range.primaryKeys(), db.records.where(':id').above(last).limit(1).primaryKeys()]);
  if (keys[0] !== confirmed + 1) return undefined;
  // Records tile the log: the last key's record ends where the next begins, or at the head.
  if ((after ?? ws.head + 1) - 1 <= last) return writeConfirmed(db, ws, confirmed, remote, undefined, ws.head);
  const straddling = await db.records.get(keys[keys.length - 1]!);
  if (!straddling) return undefined;
  return writeConfirmed(db, ws, confirmed, remote, { events: straddling.events.slice(last - straddling.first + 1), ev: straddling.ev }, ws.head);
}

/**
 * What confirmOwn() and confirmPushed() write once they know the pending records of
 * `confirmed` + 1 .. last hold our `remote` events: those records replaced by the server's
 * events, confirmed, and by `rest` (the last record's events after them, its commit's
 * expectedVersion with them), still pending; the log's head is `head`.
 */
async function writeConfirmed(
  db: LogDb,
  ws: Working,
  confirmed: number,
  remote: readonly PositionedEvent[],
  rest: { events: RecordEvent[]; ev: LogRecord['ev'] } | undefined,
  head: number,
): Promise<IntegrateResult> {
  const last = confirmed + remote.length;
  const records = confirmedRecords(remote);
  if (rest && rest.events.length > 0) {
    const record = makeRecord(last + 1, rest.events, true);
    if (rest.ev !== undefined) record.ev = rest.ev;
    records.push(record);
  }
  // One range delete (the covering records' keys are exactly this range), not one per record.
  await db.records.where(':id').between(confirmed + 1, last, true, true).delete();
  await db.records.bulkAdd(records);
  ws.pending = head - last; // what follows the confirmed events is pending (schema invariant 4)
  // No position changed, but other stores on this database count their pending again.
  ws.epoch = await writeRewrite(db, await readRewrites(db), head + 1);
  return { gap: false, confirmed: last, rejected: [], changed: true };
}

/** The server's events as confirmed records of at most RECORD_EVENTS events each. */
function confirmedRecords(remote: readonly PositionedEvent[]): LogRecord[] {
  const records: LogRecord[] = [];
  for (let i = 0; i < remote.length; i += RECORD_EVENTS) {
    const chunk = remote.slice(i, i + RECORD_EVENTS);
    records.push(makeRecord(chunk[0]!.position, chunk.map(toBody), false));
  }
  return records;
}

export function toBody(e: PositionedEvent): RecordEvent {
  const body: RecordEvent = { id: e.id, type: e.type, payload: e.payload, stream: e.stream, clientId: e.clientId, commit: e.commit, time: e.time };
  if (e.meta !== undefined) body.meta = e.meta;
  if (e.schemaVersion !== undefined) body.schemaVersion = e.schemaVersion;
  return body;
}

/**
 * Our own events come back from the server as they were pushed. One whose schemaVersion
 * came back changed was stored by a server that does not keep the field (one older than
 * schema versions): taking it would make every replica upcast an already current payload.
 */
function checkSchemaVersions(pending: readonly LogRecord[], remote: readonly PositionedEvent[]): void {
  if (pending.length === 0 || remote.length === 0) return;
  const mine = new Map<string, number>();
  for (const record of pending) for (const e of record.events) mine.set(e.id, e.schemaVersion ?? 1);
  for (const e of remote) {
    const version = mine.get(e.id);
    if (version !== undefined && version !== (e.schemaVersion ?? 1)) {
      throw new ProtocolError(
        `The server returned event ${e.id} with schemaVersion ${e.schemaVersion ?? 1}, but it was pushed with ${version}: the server does not keep schema versions; upgrade it before the apps that use upcasters`,
        { details: { eventId: e.id, pushed: version, returned: e.schemaVersion ?? 1 } },
      );
    }
  }
}
