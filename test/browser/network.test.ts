import { afterEach, describe, expect, it } from 'vitest';
import { dbName } from '../support/fixtures.ts';
import { nextLiveStream, syncWorkerStores } from '../support/syncWorkers.ts';
import { untilStatus } from '../support/wait.ts';
import { within } from '../support/within.ts';

// Chromium fires no online/offline events inside workers, and a worker's loop with a live
// stream open sleeps up to a minute between rounds: the page forwards its own events to the
// worker. A page cannot set navigator.onLine (it stays true here), but it can fire the events:
// the loop is quiet from an offline event until the next online one.

const { open } = syncWorkerStores();
afterEach(() => {
  window.dispatchEvent(new Event('online')); // a failed test leaves no store of the next one offline
});

/** Well under the minute a loop with a live stream sleeps: without forwarding, this times out. */
const PROMPTLY = 5_000;

describe('the page’s online/offline events reach a worker store’s sync', () => {
  it('offline shows at once and ends the live stream; online syncs at once and opens it again', async () => {
    const logId = `network-${Date.now()}`;
    const live = nextLiveStream(logId, ['net']);
    const store = await open(dbName('network'), logId, 'net');
    await live;
    await untilStatus(store, (s) => s.sync === 'idle');

    window.dispatchEvent(new Event('offline'));
    expect(
      (await within(
        untilStatus(store, (s) => s.sync === 'offline'),
        PROMPTLY,
      )) as unknown,
    ).not.toBe('timed out');
    await store.append({ type: 'added', payload: { id: 'x', title: 'made offline' } });
    expect(store.status).toMatchObject({ sync: 'offline', pending: 1 });

    // A new live request shows the stream had ended (a loop opens no second one beside it).
    const again = nextLiveStream(logId, ['net']);
    window.dispatchEvent(new Event('online'));
    const synced = await within(
      untilStatus(store, (s) => s.sync === 'idle' && s.pending === 0),
      PROMPTLY,
    );
    expect(synced).toMatchObject({ sync: 'idle', pending: 0, head: 1 });
    expect(await within(again, PROMPTLY)).toBe('net');
  });

  it('two tabs on one database: both show offline, and only the leader syncs when online', async () => {
    const logId = `network-tabs-${Date.now()}`;
    const name = dbName('network-tabs');
    const live = nextLiveStream(logId, ['tab1', 'tab2']);
    const tab1 = await open(name, logId, 'tab1');
    expect(await live).toBe('tab1');
    const tab2 = await open(name, logId, 'tab2');

    window.dispatchEvent(new Event('offline')); // each tab forwards it to its own worker
    const offline = await within(Promise.all([tab1, tab2].map((tab) => untilStatus(tab, (s) => s.sync === 'offline'))), PROMPTLY);
    expect(offline).not.toBe('timed out');

    const again = nextLiveStream(logId, ['tab1', 'tab2']);
    await tab2.append({ type: 'added', payload: { id: 't2', title: 'from tab 2, offline' } });
    window.dispatchEvent(new Event('online'));
    expect(await within(again, PROMPTLY)).toBe('tab1');
    const synced = await within(
      Promise.all([tab1, tab2].map((tab) => untilStatus(tab, (s) => s.pending === 0 && s.sync === 'idle'))),
      PROMPTLY,
    );
    expect(synced).not.toBe('timed out');
  });
});
