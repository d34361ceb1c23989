/** Test support: a fresh in-memory sync server for each test. */
import { afterEach, beforeEach } from 'vitest';
import { memoryStorage, startSyncServer, type RunningSyncServer } from '../../src/server/index.ts';
import type { StoresPerTest } from './stores.ts';

/**
 * Registers hooks in the calling file (or describe): before each test a new server on a free
 * port; after it, the stores that use it are closed (`stores.closeAll()`), then the server.
 */
export function syncServerPerTest(stores: StoresPerTest): { readonly url: string } {
  let server: RunningSyncServer | undefined;
  beforeEach(async () => {
    server = await startSyncServer({ port: 0, storage: memoryStorage(), warn: () => undefined });
  });
  afterEach(async () => {
    await stores.closeAll();
    await server?.close();
  });
  return {
    get url() {
      if (!server) throw new Error('the sync server runs only inside a test');
      return server.url;
    },
  };
}
