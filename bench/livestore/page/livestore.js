// LiveStore's side of the page, used as its documentation shows (platform-adapters/web-adapter
// and examples/web-todomvc): makePersistedAdapter with OPFS storage, a leader worker (our
// livestore.worker.js, `?worker`) and LiveStore's shared worker (`?sharedworker`), and the
// framework-free createStorePromise. No sync backend (none runs here): every event is local,
// i.e. "unsynced" in LiveStore's terms.
//
// How a commit becomes durable (read from @livestore/livestore 0.4.0 and @livestore/common):
// - store.commit(...events) is synchronous: it encodes the events, materializes them into the
//   page's own in-memory SQLite copy of the state (one transaction for several events),
//   queues them for the leader and returns. Nothing is on disk yet.
// - The page's sync processor pushes the queue to the leader worker (batches of up to 100,
//   `leaderPushBatchSize`); the leader applies them in batches of up to 10
//   (`localPushBatchSize`), each one SQLite transaction on the state db and one on the
//   eventlog db, both files in OPFS through wa-sqlite's AccessHandlePool VFS (synchronous
//   access handles; SQLite's default synchronous=FULL, so each COMMIT flush()es its handles).
// - The leader then tells the page (an "upstream advance"), and the page's sync state drops
//   those events from `pending`. store.syncStatus().pendingCount === 0 is therefore "the
//   leader has accepted and written everything committed so far": LiveStore's own
//   "unsaved changes" test (it blocks beforeunload while pending > 0). The leader sends the
//   advance just before its SQLite transaction, which runs synchronously in the same turn of
//   the worker, so by the time the page hears it the write is done.
// "persisted" below = that moment, observed through the public store.subscribeSyncStatus().
import { makePersistedAdapter } from '@livestore/adapter-web';
import LiveStoreSharedWorker from '@livestore/adapter-web/shared-worker?sharedworker';
import { createStorePromise, liveStoreVersion } from '@livestore/livestore';
import LiveStoreWorker from './livestore.worker.js?worker';
import { schema, tables, toLiveStore } from './schema.js';
import { makeEvents } from '../../page/data.js';

const now = () => performance.now();
const adapter = makePersistedAdapter({ storage: { type: 'opfs' }, worker: LiveStoreWorker, sharedWorker: LiveStoreSharedWorker });

export const lsVersion = () => ({ livestore: liveStoreVersion });

/** A store on `storeId`, with `persisted()`: resolves once nothing committed is pending. */
async function open(storeId) {
  const store = await createStorePromise({ schema, adapter, storeId });
  let waiters = [];
  let pending = 0;
  // One subscription per store (the sync-state changes are one queue: a second subscriber
  // would take updates from the first).
  const unsubscribe = store.subscribeSyncStatus((s) => {
    pending = s.pendingCount;
    if (pending === 0 && waiters.length > 0) {
      const w = waiters;
      waiters = [];
      for (const resolve of w) resolve();
    }
  });
  const persisted = () => (store.syncStatus().pendingCount === 0 ? Promise.resolve() : new Promise((resolve) => waiters.push(resolve)));
  return {
    store,
    persisted,
    async close() {
      unsubscribe();
      await store.shutdownPromise();
    },
  };
}

/** The state as one query each over the two tables: { count, types, streams }. */
function readState(store) {
  const counters = store.query(tables.counters);
  const streams = store.query(tables.streams);
  const types = Object.fromEntries(counters.map((r) => [r.type, r.count]));
  return { count: counters.reduce((a, r) => a + r.count, 0), types, streams: streams.length };
}

/** On a fresh page (no leader worker alive): removes every LiveStore directory but `keep`'s. */
export async function lsCleanup({ keep = [] }) {
  const root = await navigator.storage.getDirectory();
  const names = [];
  for await (const name of root.keys()) names.push(name);
  const removed = [];
  const failed = [];
  for (const name of names) {
    if (!name.startsWith('livestore-') || keep.some((id) => name.startsWith(`livestore-${id}@`))) continue;
    try {
      await root.removeEntry(name, { recursive: true });
      removed.push(name);
    } catch (error) {
      failed.push(`${name}: ${error?.name}`);
    }
  }
  return { removed, failed };
}

const chunks = (xs, n) => {
  const out = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
};

/**
 * `count` events in commits of `batch` on a fresh store. `mode`:
 * - 'pipelined': commit every batch (each call synchronous), then wait until persisted:
 *   how LiveStore is used (commit does not wait for the disk);
 * - 'awaited': wait until persisted after each commit (as the toolkit awaits each append).
 * Returns the total ms (to persisted), the ms spent inside commit() (in memory), and a check.
 */
export async function lsBulk({ storeId, count, batch, seed, mode = 'pipelined' }) {
  const events = makeEvents(count, seed).map(toLiveStore);
  const s = await open(storeId);
  let inMemory = 0;
  const t0 = now();
  for (const b of chunks(events, batch)) {
    const c0 = now();
    s.store.commit(...b);
    inMemory += now() - c0;
    if (mode === 'awaited') await s.persisted();
  }
  await s.persisted();
  const ms = now() - t0;
  const state = readState(s.store);
  await s.close();
  if (state.count !== count) throw new Error(`lsBulk: count ${state.count}, expected ${count}`);
  return { ms, inMemory };
}

/** `count` sequential one-event commits (after `warm` untimed): in-memory and to-persisted times. */
export async function lsSingle({ storeId, count, warm, seed }) {
  const events = makeEvents(count + warm, seed).map(toLiveStore);
  const s = await open(storeId);
  const inMemory = [];
  const persisted = [];
  for (let i = 0; i < events.length; i++) {
    const t0 = now();
    s.store.commit(events[i]);
    const t1 = now();
    await s.persisted();
    const t2 = now();
    if (i >= warm) {
      inMemory.push(t1 - t0);
      persisted.push(t2 - t0);
    }
  }
  const state = readState(s.store);
  await s.close();
  if (state.count !== count + warm) throw new Error(`lsSingle: count ${state.count}`);
  return { inMemory, persisted };
}

/** The boot log: `count` events in commits of `batch`, then a `tail`-event commit; persisted, closed. */
export async function lsBuild({ storeId, count, batch, tail, seed }) {
  const events = makeEvents(count + tail, seed).map(toLiveStore);
  const s = await open(storeId);
  const t0 = now();
  for (const b of chunks(events.slice(0, count), batch)) {
    s.store.commit(...b);
    await s.persisted();
  }
  if (tail > 0) s.store.commit(...events.slice(count));
  await s.persisted();
  const ms = now() - t0;
  const state = readState(s.store);
  const sync = s.store.syncStatus();
  await s.close();
  return { ms, ...state, localHead: sync.localHead, upstreamHead: sync.upstreamHead };
}

/**
 * Boot on a fresh page load: createStorePromise until ready, then the state's queries.
 * `fromCreate`: from the call; the page (main.js) adds the time since navigation start.
 */
export async function lsBoot({ storeId }) {
  const t0 = now();
  const store = await createStorePromise({ schema, adapter, storeId });
  const ready = now();
  const state = readState(store);
  const t1 = now();
  const sync = store.syncStatus();
  const storageMode = store.storageMode;
  await store.shutdownPromise();
  return { fromCreate: t1 - t0, readyMs: ready - t0, queryMs: t1 - ready, end: t1, ...state, localHead: sync.localHead, storageMode };
}
