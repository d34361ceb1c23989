import 'fake-indexeddb/auto';
import { counting } from '../support/readCounter.ts';
import { afterEach, describe, expect, it } from 'vitest';
import { isProtocolError, type StoredEvent } from '../../src/index.ts';
import type { PositionedEvent } from '../../src/protocol/wire.ts';
import { eventsOf, makeRecord } from '../../src/storage/records.ts';
import { openLogDb, type LogDb, type RecordEvent } from '../../src/storage/schema.ts';
import { readPendingRecords, readPushable } from '../../src/storage/pushable.ts';
import { readRewrites, writeRewrite } from '../../src/storage/rewrites.ts';
import { recordEventFromWire as toBody } from '../../src/storage/shapes.ts';
import type { Draft } from '../../src/worker/draft.ts';
import { integrate } from '../../src/worker/integrate.ts';
import { dbName } from '../support/fixtures.ts';
import { rejection } from '../support/rejection.ts';

// integrate() on its own: what the log holds after the server's events and rejections are
// taken in (confirmed events at the server's positions, the pending tail rebased after them,
// rejected commits out of the log and in `rejected`), what it returns, and what it asks of
// the engine's draft (rewind to the confirmed head, apply the new tail).

/** The draft's side, recorded: integrate() rewinds it and applies the changed tail. */
class RecordingDraft {
  view = { pending: -1, epoch: 0, head: 0 };
  constructor(readonly db: LogDb) {}
  get pending() {
    return this.view.pending;
  }
  get epoch() {
    return this.view.epoch;
  }
  set epoch(epoch: number) {
    this.view = { ...this.view, epoch };
  }
  set(patch: Partial<RecordingDraft['view']>) {
    this.view = { ...this.view, ...patch };
  }
  calls: (['rewind', number] | ['apply', string[], { capture: boolean }])[] = [];
  async rewind(position: number) {
    this.calls.push(['rewind', position]);
  }
  async apply(events: readonly StoredEvent[], options: { capture: boolean }) {
    this.calls.push(['apply', events.map((e) => `${e.position}:${e.id}${e.pending ? '*' : ''}`), options]);
  }
}

const dbs: LogDb[] = [];
afterEach(async () => {
  for (const db of dbs.splice(0)) db.close();
});

function body(id: string, commit = id, extra: Partial<RecordEvent> = {}): RecordEvent {
  return { id, type: 'added', payload: { id }, stream: 'todos', clientId: 'me', commit, time: 10, ...extra };
}

function remote(position: number, id = `r${position}`, extra: Partial<PositionedEvent> = {}): PositionedEvent {
  return { id, type: 'added', payload: { id }, stream: 'todos', clientId: 'other', commit: id, time: 20, position, ...extra };
}

/** A database holding `confirmed` remote events (one record) then the given pending records. */
async function log(confirmed: number, pending: { events: RecordEvent[]; ev?: number | 'none' }[] = []) {
  const db = openLogDb({ name: dbName('integrate') });
  dbs.push(db);
  if (confirmed > 0) {
    await db.records.add(
      makeRecord(
        1,
        Array.from({ length: confirmed }, (_, i) => toBody(remote(i + 1))),
        false,
      ),
    );
  }
  let next = confirmed + 1;
  for (const p of pending) {
    const record = makeRecord(next, p.events, true);
    if (p.ev !== undefined) record.ev = p.ev;
    await db.records.add(record);
    next += p.events.length;
  }
  const ws = new RecordingDraft(db);
  ws.set({ head: next - 1 });
  return { db, ws, run: (input: Parameters<typeof integrate>[1]) => integrate(ws as unknown as Draft, input) };
}

/** The log as position:id (`*` = pending), with each record's range and expectedVersion. */
async function layout(db: LogDb) {
  const records = await db.records.orderBy('first').toArray();
  return records.map((r) => ({
    range: [r.first, r.last],
    events: [...eventsOf(r)].map((e) => `${e.position}:${e.id}${e.pending ? '*' : ''}`),
    ...(r.ev === undefined ? {} : { ev: r.ev }),
  }));
}

describe('integrate: remote events', () => {
  it('appends a page that continues the confirmed prefix; a pure append changes no epoch', async () => {
    const { db, ws, run } = await log(2);
    const result = await run({ remote: [remote(3), remote(4)], rejected: [] });
    expect(result).toEqual({ gap: false, confirmed: 4, rejected: [], changed: true });
    expect(await layout(db)).toEqual([
      { range: [1, 2], events: ['1:r1', '2:r2'] },
      { range: [3, 4], events: ['3:r3', '4:r4'] },
    ]);
    expect(ws.calls).toEqual([
      ['rewind', 2],
      ['apply', ['3:r3', '4:r4'], { capture: true }],
    ]);
    expect(ws.pending).toBe(0);
    expect(ws.epoch).toBe(0);
    expect((await readRewrites(db)).epoch).toBe(0);
  });

  it('ignores the events it already has (a page that overlaps the confirmed head)', async () => {
    const { db, run } = await log(2);
    const result = await run({ remote: [remote(1), remote(2), remote(3)], rejected: [] });
    expect(result).toMatchObject({ gap: false, confirmed: 3, changed: true });
    expect((await layout(db)).flatMap((r) => r.events)).toEqual(['1:r1', '2:r2', '3:r3']);
  });

  it('a page wholly at or below the confirmed head changes nothing', async () => {
    const { db, ws, run } = await log(2);
    const result = await run({ remote: [remote(1), remote(2)], rejected: [] });
    expect(result).toEqual({ gap: false, confirmed: 2, rejected: [], changed: false });
    expect(ws.calls).toEqual([]);
    expect(await layout(db)).toEqual([{ range: [1, 2], events: ['1:r1', '2:r2'] }]);
  });

  it('a page that starts past the confirmed head is a gap: nothing changes, pull from `confirmed`', async () => {
    const { db, ws, run } = await log(2, [{ events: [body('mine')] }]);
    const before = await layout(db);
    const result = await run({ remote: [remote(4), remote(5)], rejected: [{ commit: 'mine', streamVersion: 1 }] });
    expect(result).toEqual({ gap: true, confirmed: 2, rejected: [], changed: false });
    expect(await layout(db)).toEqual(before);
    expect(ws.calls).toEqual([]);
    expect(await db.rejected.count()).toBe(0);
  });

  it('stores a long page in records of at most 1000 events', async () => {
    const { db, run } = await log(0);
    const page = Array.from({ length: 2001 }, (_, i) => remote(i + 1));
    const result = await run({ remote: page, rejected: [] });
    expect(result.confirmed).toBe(2001);
    expect((await layout(db)).map((r) => r.range)).toEqual([
      [1, 1000],
      [1001, 2000],
      [2001, 2001],
    ]);
  });

  it('keeps meta and schemaVersion of the server’s events, and leaves them out when absent', async () => {
    const { db, run } = await log(0);
    await run({ remote: [remote(1, 'a', { meta: { by: 'x' }, schemaVersion: 3 }), remote(2, 'b')], rejected: [] });
    const [record] = await db.records.toArray();
    expect(record!.events).toEqual([
      {
        id: 'a',
        type: 'added',
        payload: { id: 'a' },
        stream: 'todos',
        clientId: 'other',
        commit: 'a',
        time: 20,
        meta: { by: 'x' },
        schemaVersion: 3,
      },
      { id: 'b', type: 'added', payload: { id: 'b' }, stream: 'todos', clientId: 'other', commit: 'b', time: 20 },
    ]);
    expect('meta' in record!.events[1]!).toBe(false);
    expect('schemaVersion' in record!.events[1]!).toBe(false);
  });
});

describe('integrate: the pending tail', () => {
  it('drops pending events the server now has, and rebases the rest after the confirmed ones', async () => {
    const { db, ws, run } = await log(1, [
      { events: [body('m1', 'c1'), body('m2', 'c1')] },
      { events: [body('m3', 'c2')], ev: 4 },
      { events: [body('m4', 'c3')] },
    ]);
    // The server placed our m1 and m2 after another replica's event.
    const result = await run({
      remote: [remote(2, 'theirs'), remote(3, 'm1', { clientId: 'me', commit: 'c1' }), remote(4, 'm2', { clientId: 'me', commit: 'c1' })],
      rejected: [],
    });
    expect(result).toEqual({ gap: false, confirmed: 4, rejected: [], changed: true });
    expect(await layout(db)).toEqual([
      { range: [1, 1], events: ['1:r1'] },
      { range: [2, 4], events: ['2:theirs', '3:m1', '4:m2'] },
      { range: [5, 5], events: ['5:m3*'], ev: 4 },
      { range: [6, 6], events: ['6:m4*'] },
    ]);
    expect(ws.calls).toEqual([
      ['rewind', 1],
      ['apply', ['2:theirs', '3:m1', '4:m2', '5:m3*', '6:m4*'], { capture: true }],
    ]);
    expect(ws.pending).toBe(2);
    // The log changed under the pending tail: a new epoch, from the first changed position.
    expect(ws.epoch).toBe(1);
    expect(await readRewrites(db)).toEqual({ epoch: 1, log: [{ epoch: 1, from: 2 }] });
  });

  it('packs the rebased pending commits into few records, each commit with an expectedVersion in its own', async () => {
    const { db, run } = await log(1, [
      { events: [body('a', 'ca')] },
      { events: [body('b', 'cb')] },
      { events: [body('c', 'cc')], ev: 2 },
      { events: [body('d', 'cd')] },
      { events: [body('e1', 'ce'), body('e2', 'ce')] },
    ]);
    await run({ remote: [remote(2, 'theirs')], rejected: [] });
    expect(await layout(db)).toEqual([
      { range: [1, 1], events: ['1:r1'] },
      { range: [2, 2], events: ['2:theirs'] },
      { range: [3, 4], events: ['3:a*', '4:b*'] },
      { range: [5, 5], events: ['5:c*'], ev: 2 },
      { range: [6, 8], events: ['6:d*', '7:e1*', '8:e2*'] },
    ]);
    // Pushed as they were made: one commit each, the expectedVersion on its own commit only.
    const { commits } = await readPushable(db);
    expect(commits.map((c) => c.map((e) => e.id))).toEqual([['a'], ['b'], ['c'], ['d'], ['e1', 'e2']]);
    expect(commits.map((c) => c[0]!.expectedVersion)).toEqual([undefined, undefined, 2, undefined, undefined]);
  });

  it('a pending record partly confirmed keeps its other events pending', async () => {
    const { db, ws, run } = await log(0, [{ events: [body('m1', 'c1'), body('m2', 'c2')] }]);
    await run({ remote: [remote(1, 'm1', { clientId: 'me', commit: 'c1' })], rejected: [] });
    expect((await layout(db)).map((r) => r.events)).toEqual([['1:m1'], ['2:m2*']]);
    expect(ws.pending).toBe(1);
  });

  it('our own events confirmed in order move nothing: no rebase, no replay, snapshots kept, the rest pending where it is', async () => {
    const { db, ws, run } = await log(1, [
      { events: [body('m1', 'c1')] },
      { events: [body('m2', 'c2'), body('m3', 'c2')] },
      { events: [body('m4', 'c4')] },
    ]);
    await db.snapshots.put({ projection: 'todos', version: 1, position: 3, maxTime: 0, state: 3 });
    const result = await run({
      remote: [remote(2, 'm1', { clientId: 'me', commit: 'c1' }), remote(3, 'm2', { clientId: 'me', commit: 'c2' })],
      rejected: [],
    });
    expect(result).toEqual({ gap: false, confirmed: 3, rejected: [], changed: true });
    // The page cut commit c2: its confirmed event joins the confirmed record, its rest stays pending.
    expect((await layout(db)).map((r) => r.events)).toEqual([['1:r1'], ['2:m1', '3:m2'], ['4:m3*'], ['5:m4*']]);
    expect(ws.calls).toEqual([]);
    expect(ws.pending).toBe(2);
    expect((await db.snapshots.toArray()).map((s) => s.position)).toEqual([3]);
  });

  it('drops the snapshots from the first changed position on, and keeps the older ones', async () => {
    const { db, run } = await log(3, [{ events: [body('m1')] }]);
    for (const position of [2, 3, 4]) await db.snapshots.put({ projection: 'todos', version: 1, position, maxTime: 0, state: position });
    await run({ remote: [remote(4)], rejected: [] });
    expect((await db.snapshots.toArray()).map((s) => s.position)).toEqual([2, 3]);
  });
});

describe('integrate: rejected commits', () => {
  it('a commit rejected for its expectedVersion leaves the log once, with a ConcurrencyError naming the stream and versions', async () => {
    const { db, ws, run } = await log(1, [
      { events: [body('k1', 'keep')] },
      { events: [body('x1', 'late', { stream: 'orders' }), body('x2', 'late', { stream: 'orders' })], ev: 3 },
      { events: [body('k2', 'keep2')] },
    ]);
    const result = await run({ remote: [], rejected: [{ commit: 'late', streamVersion: 5 }] });
    expect(result.gap).toBe(false);
    expect(result.confirmed).toBe(1);
    expect(result.changed).toBe(true);
    expect(result.rejected).toHaveLength(1);
    const [r] = result.rejected;
    expect(r).toMatchObject({
      commit: 'late',
      streamVersion: 5,
      reason: { name: 'ConcurrencyError', message: 'The server rejected commit late: stream "orders" is at version 5, not the expected 3' },
    });
    expect(r!.events.map((e) => [e.id, e.position, e.pending])).toEqual([
      ['x1', 3, true],
      ['x2', 4, true],
    ]);
    expect(r!.at).toBeGreaterThan(0);
    expect(await db.rejected.toArray()).toEqual(result.rejected);
    expect(await layout(db)).toEqual([
      { range: [1, 1], events: ['1:r1'] },
      { range: [2, 3], events: ['2:k1*', '3:k2*'] },
    ]);
    expect(ws.pending).toBe(2);
    expect(ws.calls[0]).toEqual(['rewind', 1]);
    expect(ws.epoch).toBe(1);
  });

  it('a commit with expectedVersion "none" says so in the reason', async () => {
    const { run } = await log(0, [{ events: [body('x', 'new')], ev: 'none' }]);
    const { rejected } = await run({ remote: [], rejected: [{ commit: 'new', streamVersion: 2 }] });
    expect(rejected[0]!.reason.message).toBe('The server rejected commit new: stream "todos" is at version 2, not the expected none');
  });

  it('a commit the server can never accept leaves the log with the server’s reason', async () => {
    const { db, run } = await log(0, [{ events: [body('p1', 'poison'), body('p2', 'poison')] }, { events: [body('ok')] }]);
    const reason = { name: 'InvalidEventError', message: 'refused as invalid' };
    const { rejected } = await run({ remote: [], rejected: [{ commit: 'poison', reason }] });
    expect(rejected).toEqual([{ commit: 'poison', events: expect.any(Array), reason, at: expect.any(Number) }]);
    expect('streamVersion' in rejected[0]!).toBe(false);
    expect(rejected[0]!.events.map((e) => e.id)).toEqual(['p1', 'p2']);
    expect((await layout(db)).map((r) => r.events)).toEqual([['1:ok*']]);
  });

  it('a rejection of a commit that is no longer pending, or that the server also confirmed, changes nothing', async () => {
    const { db, ws, run } = await log(1, [{ events: [body('m')] }]);
    const result = await run({ remote: [], rejected: [{ commit: 'gone', streamVersion: 1 }] });
    expect(result).toEqual({ gap: false, confirmed: 1, rejected: [], changed: false });
    expect(ws.calls).toEqual([]);
    // Confirmed and rejected in one answer (a retried push): confirmed wins.
    const both = await run({ remote: [remote(2, 'm', { clientId: 'me' })], rejected: [{ commit: 'm', streamVersion: 1 }] });
    expect(both.rejected).toEqual([]);
    expect(await db.rejected.count()).toBe(0);
    expect((await layout(db)).flatMap((r) => r.events)).toEqual(['1:r1', '2:m']);
  });
});

describe('integrate: schema versions of our own events', () => {
  it('refuses our event back with another schemaVersion (a server that drops the field), naming the event', async () => {
    const { db, run } = await log(0, [{ events: [body('mine', 'c', { schemaVersion: 2 })] }]);
    const before = await layout(db);
    const error = await rejection(run({ remote: [remote(1, 'mine', { clientId: 'me', commit: 'c' })], rejected: [] }));
    expect(isProtocolError(error)).toBe(true);
    expect(error.message).toMatch(/^The server returned event mine with schemaVersion 1, but it was pushed with 2/);
    expect(error.details).toEqual({ eventId: 'mine', pushed: 2, returned: 1 });
    expect(await layout(db)).toEqual(before);
  });

  it('refuses a version-1 event that comes back with a higher version', async () => {
    const { run } = await log(0, [{ events: [body('mine', 'c')] }]);
    const error = await rejection(run({ remote: [remote(1, 'mine', { clientId: 'me', commit: 'c', schemaVersion: 2 })], rejected: [] }));
    expect(error.details).toEqual({ eventId: 'mine', pushed: 1, returned: 2 });
  });

  it('takes our events back when the versions agree (absent counts as 1), and others’ events whatever theirs', async () => {
    const { db, run } = await log(0, [{ events: [body('a', 'c', { schemaVersion: 1 }), body('b', 'c', { schemaVersion: 4 })] }]);
    const result = await run({
      remote: [
        remote(1, 'x', { schemaVersion: 9 }),
        remote(2, 'a', { clientId: 'me', commit: 'c' }),
        remote(3, 'b', { clientId: 'me', commit: 'c', schemaVersion: 4 }),
      ],
      rejected: [],
    });
    expect(result.confirmed).toBe(3);
    expect((await layout(db)).flatMap((r) => r.events)).toEqual(['1:x', '2:a', '3:b']);
  });
});

describe('integrate: our pushed events, confirmed from the push answers (readAt)', () => {
  const mine = (position: number, id: string, commit: string) => remote(position, id, { clientId: 'me', commit });

  it('confirms them reading no record but the last, which it cuts where the answers end', async () => {
    const { db, ws, run } = await log(1, [
      { events: [body('m1', 'c1')] },
      { events: [body('m2', 'c2'), body('m3', 'c3')] },
      { events: [body('m4', 'c4')] },
    ]);
    const { value: result, records } = await counting(() =>
      run({ remote: [mine(2, 'm1', 'c1'), mine(3, 'm2', 'c2')], rejected: [], readAt: 0 }),
    );
    expect(result).toEqual({ gap: false, confirmed: 3, rejected: [], changed: true });
    expect(records).toBe(1);
    expect((await layout(db)).map((r) => r.events)).toEqual([['1:r1'], ['2:m1', '3:m2'], ['4:m3*'], ['5:m4*']]);
    expect(ws.calls).toEqual([]);
    expect(ws.pending).toBe(2);
    expect(ws.epoch).toBe((await readRewrites(db)).epoch); // other tabs count their pending again
    expect(ws.epoch).toBe(1);
  });

  it('reads and compares them as pulled events once the log was rewritten after they were read', async () => {
    // Another tab's round put its m9 before our m1 after our round read m1 at position 2.
    const { db, ws, run } = await log(1, [{ events: [body('m9', 'c9')] }, { events: [body('m1', 'c1')] }]);
    ws.epoch = await writeRewrite(db, await readRewrites(db), 2);
    await run({ remote: [mine(2, 'm1', 'c1')], rejected: [], readAt: 0 });
    expect((await layout(db)).flatMap((r) => r.events)).toEqual(['1:r1', '2:m1', '3:m9*']);
  });
});

describe('readPushable: the pending commits a page at a time', () => {
  it('reads whole pending records starting within 1000 positions, says where the next page starts and the epoch', async () => {
    const pending = Array.from({ length: 2400 }, (_, i) => ({ events: [body(`m${i}`)] }));
    pending.splice(999, 2, { events: [body('big.0', 'big'), body('big.1', 'big')] }); // positions 1001-1002
    const { db } = await log(1, pending);
    const first = await readPushable(db);
    expect([first.confirmed, first.commits.length, first.commits.at(-1)!.map((e) => e.id), first.next, first.epoch]).toEqual([
      1,
      1000,
      ['big.0', 'big.1'],
      1003,
      0,
    ]);
    const ids: string[] = first.commits.flat().map((e) => e.id);
    for (let page = first; page.next !== undefined; ) {
      page = await readPushable(db, page.next);
      ids.push(...page.commits.flat().map((e) => e.id));
    }
    expect(ids).toEqual((await readPendingRecords(db)).flatMap((r) => r.events.map((e) => e.id)));
    expect(ids).toHaveLength(2400);
  });
});
