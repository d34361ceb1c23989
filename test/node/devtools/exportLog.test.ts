// The log export (src/devtools/exportLog.ts): every event the store holds, in order, in a documented, versioned shape.
import 'fake-indexeddb/auto';
import { expect, it } from 'vitest';
import { exportLog, LOG_EXPORT_FORMAT, LOG_EXPORT_VERSION } from '../../../src/devtools/index.ts';
import { dbName, projections } from '../../support/fixtures.ts';
import { storesPerTest } from '../../support/stores.ts';

const stores = storesPerTest();

it('exports every event in log order with the format, version, client and status, across pages', async () => {
  const store = await stores.open({ name: dbName('export'), projections });
  for (let i = 0; i < 25; i++) await store.append(Array.from({ length: 100 }, (_, j) => ({ type: 'ping', payload: { n: i * 100 + j } })));
  await store.undo();
  const log = await exportLog(store);
  expect(log.format).toBe(LOG_EXPORT_FORMAT);
  expect(log.version).toBe(LOG_EXPORT_VERSION);
  expect(log.clientId).toBe(store.clientId);
  expect(log.status).toEqual({ head: 2501, pending: 0 });
  expect(log.events).toEqual(await store.events());
  expect(log.events.map((e) => e.position)).toEqual(Array.from({ length: 2501 }, (_, i) => i + 1));
  expect(JSON.parse(JSON.stringify(log))).toEqual(log);
});

it('exports what the store holds after a compaction, with the compaction point', async () => {
  const store = await stores.open({ name: dbName('export'), projections });
  await store.append(Array.from({ length: 10 }, (_, n) => ({ type: 'ping', payload: { n } })));
  await store.append({ type: 'ping', payload: { n: 10 } });
  const { compacted } = await store.compact({ before: 11 });
  const log = await exportLog(store);
  expect(log.status.compacted).toBe(compacted);
  expect(log.events.map((e) => e.position)).toEqual([11]);
});
