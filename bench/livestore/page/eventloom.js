// Eventloom's side of the page: its public API in worker mode, as bench/page/main.js drives
// it (commands bulk, single, buildLog, boot), with bench/page's own store worker (the bench
// projection of bench/page/projection.js) and events (bench/page/data.js).
import { createStore } from 'eventloom';
import { inputsOf, makeEvents } from '../../page/data.js';
import { NAME } from '../../page/projection.js';

const now = () => performance.now();
const newStoreWorker = () => new Worker(new URL('../../page/store.worker.js', import.meta.url), { type: 'module' });

async function openStore(name, options = {}) {
  const worker = newStoreWorker();
  const store = await createStore({ name, worker, ...options });
  return {
    store,
    close: async () => {
      await store.close();
      worker.terminate();
    },
  };
}

function deleteDb(name) {
  return new Promise((resolve, reject) => {
    const r = indexedDB.deleteDatabase(name);
    r.onsuccess = () => resolve();
    r.onerror = () => reject(r.error);
  });
}

const chunks = (xs, n) => {
  const out = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
};

/** `count` events through append() in batches of `batch`, each awaited (durable when it resolves). */
export async function elBulk({ name, count, batch, seed }) {
  const batches = chunks(inputsOf(makeEvents(count, seed)), batch);
  const s = await openStore(name);
  const t0 = now();
  for (const b of batches) await s.store.append(b);
  const ms = now() - t0;
  const head = s.store.status.head;
  await s.close();
  await deleteDb(name);
  if (head !== count) throw new Error(`elBulk: head ${head}, expected ${count}`);
  return { ms };
}

/** `count` sequential one-event append()s, each timed until it resolved (after `warm` untimed). */
export async function elSingle({ name, count, warm, seed }) {
  const inputs = inputsOf(makeEvents(count + warm, seed));
  const times = [];
  const s = await openStore(name);
  for (let i = 0; i < inputs.length; i++) {
    const t0 = now();
    await s.store.append(inputs[i]);
    if (i >= warm) times.push(now() - t0);
  }
  await s.close();
  await deleteDb(name);
  return { times };
}

/** The boot log (bench/run.mjs buildLog): append() in batches of `batch`, then a `tail` commit. */
export async function elBuild({ name, count, batch, tail, snapshotEvery, seed }) {
  await deleteDb(name);
  const inputs = inputsOf(makeEvents(count + tail, seed));
  const s = await openStore(name, { snapshotEvery });
  const t0 = now();
  for (const b of chunks(inputs.slice(0, count), batch)) await s.store.append(b);
  if (tail > 0) await s.store.append(inputs.slice(count));
  const ms = now() - t0;
  const head = s.store.status.head;
  const count_ = s.store.get(NAME).count;
  await s.close();
  return { ms, head, count: count_ };
}

/**
 * Boot on a fresh page load: fresh worker + createStore until ready, then the state read
 * (get(), synchronous once ready). `sync`: a sync config whose server does not answer, so
 * every local event is pending (status.pending), LiveStore's "unsynced".
 */
export async function elBoot({ name, snapshotEvery, sync }) {
  const t0 = now();
  const worker = newStoreWorker();
  const store = await createStore({ name, worker, snapshotEvery, ...(sync ? { sync } : {}) });
  const ready = now();
  const state = store.get(NAME);
  const t1 = now();
  const { head, pending } = store.status;
  await store.close();
  worker.terminate();
  return {
    fromCreate: t1 - t0,
    readyMs: ready - t0,
    queryMs: t1 - ready,
    end: t1,
    head,
    pending,
    count: state.count,
    streams: Object.keys(state.streams).length,
  };
}
