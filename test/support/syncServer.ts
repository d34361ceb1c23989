/** Test support: a fresh in-memory sync server for each test, and the stores it opens. */
import { afterEach, beforeEach } from 'vitest';
import type { Store } from '../../src/index.ts';
import { memoryStorage, startSyncServer, type RunningSyncServer } from '../../src/server/index.ts';

/**
 * Registers hooks in the calling file (or describe): before each test a new server on a free
 * port; after it, the stores pushed to `open` are closed, then the server.
 */
export function syncServerPerTest(): { readonly url: string; readonly open: Store[] } {
  let server: RunningSyncServer | undefined;
  const open: Store[] = [];
  beforeEach(async () => {
    server = await startSyncServer({ port: 0, storage: memoryStorage(), warn: () => undefined });
  });
  afterEach(async () => {
    for (const s of open.splice(0)) await s.close();
    await server?.close();
  });
  return {
    get url() {
      if (!server) throw new Error('the sync server runs only inside a test');
      return server.url;
    },
    open,
  };
}
