/** A database written by the release before slices opens under the new layout (fake-indexeddb; the same in real Chromium: test/browser/migration.test.ts). */
import 'fake-indexeddb/auto';
import { it } from 'vitest';
import { createStore } from '../../src/index.ts';
import { dbName, projections } from '../support/fixtures.ts';
import { expectMigrated } from '../support/migration.ts';
import { writeV1 } from '../support/v1Database.ts';

it('a v1 database keeps every event, its pending flags, state and undo, and gets its slices', async () => {
  const name = dbName('v1');
  await writeV1(name);
  const store = await createStore({ name, projections, clientId: 'this-device' });
  try {
    await expectMigrated(store, name);
  } finally {
    await store.close();
  }
});
