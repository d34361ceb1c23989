/**
 * Browser tests: worker-mode stores that sync with the test project's server (inject('syncUrl'),
 * test/setup/syncServer.ts), each worker named as the tab it stands for, closed and terminated
 * after each test; and the live streams those workers open (test/browser/sync.worker.ts reports
 * its requests on the 'test-sync-traffic' channel).
 */
import { afterEach, inject } from 'vitest';
import type { Store } from 'eventloom';
import { storesPerTest, type StoresPerTest } from './stores.ts';

export interface SyncWorkerStores {
  readonly stores: StoresPerTest;
  /** A sync test worker named `tab`; terminated after the test. */
  newWorker(tab: string): Worker;
  /** A worker store on database `name` syncing `logId` with the test server. */
  open(name: string, logId: string, tab?: string): Promise<Store>;
}

/** Registers the after-each clean-up in the calling file. */
export function syncWorkerStores(): SyncWorkerStores {
  const workers: Worker[] = [];
  const stores = storesPerTest();
  afterEach(async () => {
    await stores.closeAll(); // while their workers still answer
    for (const w of workers.splice(0)) w.terminate();
  });
  const newWorker = (tab: string): Worker => {
    const worker = new Worker(new URL('../browser/sync.worker.ts', import.meta.url), { type: 'module', name: tab });
    workers.push(worker);
    return worker;
  };
  return {
    stores,
    newWorker,
    open: (name, logId, tab = name) => stores.open({ name, worker: newWorker(tab), sync: { url: inject('syncUrl'), logId } }),
  };
}

/**
 * Resolves with the id of the next worker among `tabs` that opens a live stream for `logId`.
 * Another device's worker on the same log (its stream may open at any time) is not one of them.
 */
export function nextLiveStream(logId: string, tabs: readonly string[]): Promise<string> {
  const channel = new BroadcastChannel('test-sync-traffic');
  return new Promise((resolve) => {
    channel.onmessage = (m: MessageEvent<{ worker: string; path: string }>) => {
      if (m.data.path.endsWith(`/logs/${logId}/live`) && tabs.includes(m.data.worker)) {
        channel.close();
        resolve(m.data.worker);
      }
    };
  });
}
