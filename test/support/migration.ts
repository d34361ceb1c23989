/**
 * What a store opened on a v1 database (test/support/v1Database.ts) must show: every event
 * kept, in place, with its pending flag; queries, state and undo as before; the large
 * database at the new version.
 */
import { Dexie } from 'dexie';
import { expect } from 'vitest';
import type { EventQuery, Store, StoredEvent } from '../../src/index.ts';
import { referenceState, todos } from './fixtures.ts';
import { v1Head, v1Log } from './v1Database.ts';

function reference(log: readonly StoredEvent[], query: EventQuery): StoredEvent[] {
  return log.filter(
    (e) => (query.stream === undefined || e.stream === query.stream) && (query.type === undefined || e.type === query.type),
  );
}

export async function expectMigrated(store: Store, name: string, indexedDB?: IDBFactory): Promise<void> {
  const log = v1Log();
  expect(store.status).toMatchObject({ head: v1Head, pending: 44 });
  expect(await store.events()).toEqual(log);
  for (const stream of ['list-0', 'list-1', 'list-2', 'list-7', 'list-11'])
    expect(await store.events({ stream }), stream).toEqual(reference(log, { stream }));
  for (const type of ['added', 'done', '$undo']) expect(await store.events({ type }), type).toEqual(reference(log, { type }));
  expect(store.get('todos')).toEqual(referenceState(todos, log));

  // Version 2 adds the slices table; nothing is rewritten (the records stay as they were,
  // and 360 confirmed events are less than a slicing group: storage/slicer.ts). Version 3
  // indexes the snapshots by time, the old ones included.
  const db = new Dexie(name, indexedDB ? { indexedDB } : {});
  await db.open();
  try {
    expect(db.verno).toBe(3);
    const slices = await db.table('slices').toArray();
    expect(slices).toEqual([]);
    const snapshots = await db.table('snapshots').where('position').above(0).toArray();
    expect(snapshots.length).toBeGreaterThan(0);
    const byTime = await db
      .table('snapshots')
      .where('[projection+version+maxTime]')
      .between(['todos', 1, -Infinity], ['todos', 1, Infinity])
      .toArray();
    expect(byTime.map((s) => s.position).sort((a, b) => a - b)).toEqual(
      snapshots
        .filter((s) => s.projection === 'todos' && s.version === 1)
        .map((s) => s.position)
        .sort((a, b) => a - b),
    );
  } finally {
    db.close();
  }
  // Time travel through the old snapshots, by the new index.
  for (const at of [log[100]!, log[250]!, log[log.length - 1]!]) {
    expect(await store.stateAt('todos', { time: at.time })).toEqual(
      referenceState(
        todos,
        log.filter((e) => e.time <= at.time),
      ),
    );
  }

  // Undo and redo still find this client's commits; new appends follow the old log.
  expect(await store.undo()).toBe(true);
  expect(await store.redo()).toBe(true);
  const [next] = await store.append({ type: 'added', stream: 'list-1', payload: { id: 'new', title: 'after the upgrade' } });
  expect(next).toMatchObject({ position: v1Head + 3, pending: true });
  expect((await store.events({ stream: 'list-1' })).at(-1)).toEqual(next);
}
