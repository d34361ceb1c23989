/**
 * What a store opened on a v1 database (test/support/v1Database.ts) must show: every event
 * kept, in place, with its pending flag; queries, state and undo as before; the large
 * multi-stream records sliced.
 */
import { Dexie } from 'dexie';
import { expect } from 'vitest';
import type { EventQuery, Store, StoredEvent } from '../../src/index.ts';
import { referenceState, todos } from './fixtures.ts';
import { v1Head, v1Log } from './v1Database.ts';

function reference(log: readonly StoredEvent[], query: EventQuery): StoredEvent[] {
  return log.filter((e) => (query.stream === undefined || e.stream === query.stream) && (query.type === undefined || e.type === query.type));
}

export async function expectMigrated(store: Store, name: string, indexedDB?: IDBFactory): Promise<void> {
  const log = v1Log();
  expect(store.status).toMatchObject({ head: v1Head, pending: 44 });
  expect(await store.events()).toEqual(log);
  for (const stream of ['list-0', 'list-1', 'list-2', 'list-7', 'list-11']) expect(await store.events({ stream }), stream).toEqual(reference(log, { stream }));
  for (const type of ['added', 'done', '$undo']) expect(await store.events({ type }), type).toEqual(reference(log, { type }));
  expect(store.get('todos')).toEqual(referenceState(todos, log));

  // The two pulled records (12 streams of 1/12 each) were sliced; the 40-event commit (5
  // streams of 1/5) and the types (3 of 1/3) were not.
  const db = new Dexie(name, indexedDB ? { indexedDB } : {});
  await db.open();
  try {
    expect(db.verno).toBe(2);
    const slices = await db.table('slices').toArray();
    expect(slices.map((s) => `${s.kind}${s.first}`).sort()).toEqual([...Array<string>(12).fill('s1'), ...Array<string>(12).fill('s241')]);
    expect(slices.every((s) => s.pending === 0 && s.events.length === s.at.length && s.events.length >= 10)).toBe(true);
  } finally {
    db.close();
  }

  // Undo and redo still find this client's commits; new appends follow the old log.
  expect(await store.undo()).toBe(true);
  expect(await store.redo()).toBe(true);
  const [next] = await store.append({ type: 'added', stream: 'list-1', payload: { id: 'new', title: 'after the upgrade' } });
  expect(next).toMatchObject({ position: v1Head + 3, pending: true });
  expect((await store.events({ stream: 'list-1' })).at(-1)).toEqual(next);
}
