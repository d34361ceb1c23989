// compact() counts what it drops before its op (src/worker/compact.ts surveyDrop), in small
// read transactions, so the op, which holds appends up, reads keys instead of every dropped
// event (src/storage/compaction.ts dropThrough). What it keeps must be what a full read gives.
import 'fake-indexeddb/auto';
import { counting } from '../support/readCounter.ts';
import { afterEach, expect, it } from 'vitest';
import { createStore, type StoredEvent } from '../../src/index.ts';
import { isMarkerType } from '../../src/core/event.ts';
import { dropThrough } from '../../src/storage/compaction.ts';
import { readCompaction } from '../../src/storage/compactionMeta.ts';
import { openLogDb, type LogDb } from '../../src/storage/schema.ts';
import { surveyDrop } from '../../src/worker/compact.ts';
import { dbName, projections } from '../support/fixtures.ts';

const open: LogDb[] = [];
afterEach(() => {
  for (const db of open.splice(0)) db.close();
});

/** 20 commits of 10 events in two streams, the 5th undone: records of 10 events, and a marker's. */
async function builtLog(): Promise<{ db: LogDb; events: StoredEvent[] }> {
  const name = dbName();
  const store = await createStore({ name, projections });
  for (let c = 0; c < 20; c++) {
    await store.append(
      Array.from({ length: 10 }, (_, i) => ({ type: 'added', stream: i % 3 === 0 ? 'a' : 'b', payload: { id: `${c}.${i}` } })),
    );
    if (c === 4) await store.undo();
  }
  const events = await store.events();
  await store.close();
  const db = openLogDb({ name });
  open.push(db);
  return { db, events };
}

/** What compaction through `to` must keep of the events it drops (storage/compaction.ts invariant 2). */
function expected(events: StoredEvent[], to: number) {
  const streams: Record<string, number> = {};
  const dropped = events.filter((e) => e.position <= to);
  for (const e of dropped) if (!isMarkerType(e.type)) streams[e.stream] = (streams[e.stream] ?? 0) + 1;
  return { compacted: to, streams, maxTime: Math.max(...dropped.map((e) => e.time)) };
}

const drop = (db: LogDb, to: number, tallies?: Parameters<typeof dropThrough>[2]) =>
  counting(() => db.transaction('rw', db.records, db.slices, db.meta, () => dropThrough(db, to, tallies)));

it('drops what it surveyed reading only the record it cuts, and keeps what a full read keeps', async () => {
  const { db, events } = await builtLog();
  const survey = (await surveyDrop(db, 156))!;
  // Records 1-10 … 41-50, the marker's at 51, 52-61 … 142-151; 152-161 reaches past 155.
  expect([...survey.tallies.keys()]).toEqual([1, 11, 21, 31, 41, 51, 52, 62, 72, 82, 92, 102, 112, 122, 132, 142]);
  const run = await drop(db, 155, survey.tallies);
  expect(run.records).toBe(1);
  expect(run.value.removed).toBe(155);
  expect(await readCompaction(db)).toEqual(expected(events, 155));
  // The cut record's events after the point stay.
  expect((await db.records.get(156))?.events.map((e) => e.id)).toEqual(
    events.filter((e) => e.position >= 156 && e.position <= 161).map((e) => e.id),
  );
});

it('reads a record whose tally does not match its extent, and any record not surveyed', async () => {
  const { db, events } = await builtLog();
  const survey = (await surveyDrop(db, 100))!;
  const tallies = new Map(survey.tallies);
  tallies.set(11, { ...tallies.get(11)!, last: 25, count: 999 }); // as if record 11 had been another
  tallies.delete(21);
  const run = await drop(db, 91, tallies);
  expect(run.records).toBe(2);
  expect(run.value.removed).toBe(91);
  expect(await readCompaction(db)).toEqual(expected(events, 91));
});

it('refuses to drop a record that turned pending after the survey', async () => {
  const { db } = await builtLog();
  const survey = (await surveyDrop(db, 100))!;
  await db.records.update(31, { pending: 1 });
  await expect(drop(db, 91, survey.tallies)).rejects.toThrow(/pending/);
  expect((await readCompaction(db)).compacted).toBe(0);
  expect(await db.records.count()).toBe(21);
});
