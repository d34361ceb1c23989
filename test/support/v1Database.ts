/**
 * A database written by the release before slices (IndexedDB schema version 1), dumped from
 * createStore itself (test/fixtures/v1-database.json): 240 + 120 events pulled from another
 * device over 12 streams, then 44 local pending events (a 40-event commit over 5 streams, a
 * one-event commit undone, a two-event commit), snapshots every 100 events. `writeV1` puts it
 * back with the v1 schema exactly as that release declared it.
 */
import { Dexie } from 'dexie';
import type { StoredEvent } from '../../src/index.ts';
import type { LogRecord } from '../../src/storage/schema.ts';
import dump from '../fixtures/v1-database.json' with { type: 'json' };

export const V1_STORES = {
  records: 'first, *sk, *tk, *ck, *cl, minTime, pending',
  snapshots: '[projection+version+position], position',
  meta: 'key',
  rejected: 'commit, at',
};

export const v1Head: number = dump.head;

export async function writeV1(name: string, indexedDB?: IDBFactory): Promise<void> {
  const db = new Dexie(name, indexedDB ? { indexedDB } : {});
  db.version(1).stores(V1_STORES);
  await db.open();
  const tables = dump.tables as Record<string, unknown[]>;
  await db.transaction('rw', db.tables, async () => {
    for (const table of db.tables) await table.bulkAdd(tables[table.name] ?? []);
  });
  db.close();
}

/** The log the dump holds, as events() gives it. */
export function v1Log(): StoredEvent[] {
  return (dump.tables.records as unknown as LogRecord[]).flatMap((r) =>
    r.events.map((e, i) => ({ ...e, position: r.first + i, pending: r.pending === 1 }) as StoredEvent),
  );
}
