/** A database written by the release before slices opens under the new layout, in real Chromium, in worker mode. */
import { it } from 'vitest';
import { createStore } from 'eventloom';
import { dbName } from '../support/fixtures.ts';
import { expectMigrated } from '../support/migration.ts';
import { writeV1 } from '../support/v1Database.ts';

it('a v1 database keeps every event, its pending flags, state and undo, and gets its slices', async () => {
  const name = dbName('v1');
  await writeV1(name);
  const worker = new Worker(new URL('./store.worker.ts', import.meta.url), { type: 'module' });
  const store = await createStore({ name, worker, clientId: 'this-device' });
  try {
    await expectMigrated(store, name);
  } finally {
    await store.close();
    worker.terminate();
  }
});
