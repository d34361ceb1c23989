// The benchmark page: window.bench(cmd, args) runs one measurement and returns numbers.
// Driven by bench/run.mjs, one fresh browser per group. Every toolkit call goes through the
// public API (createStore in worker mode); every baseline through raw.worker.js, except the
// peers (RxDB, Replicache: peers.js, on this main thread, where they normally run). Times
// are performance.now() on the main thread, from the call until its promise resolved.
// `?durability=strict` makes every write transaction strict: the raw baselines' and the toolkit's
// (createStore({ durability })).
import { createStore, defineProjection } from 'eventloom';
import { mountInspector } from 'eventloom/devtools';
import { wrap } from 'comlink';
import { encryptionKey, eventPages, inputsOf, makeEvents, rng } from './data.js';
import { NAME, initial, reduce } from './projection.js';
import { GROUP, initialFlat, initialGrouped, names as entryNames, reduceFlat, reduceGrouped } from './entries.js';

const newStoreWorker = () => new Worker(new URL('./store.worker.js', import.meta.url), { type: 'module' });
// The same worker, its projection at `version` (the worker's name carries it): a version bump.
const newVersionedWorker = (version) =>
  new Worker(new URL('./store.versioned.worker.js', import.meta.url), { type: 'module', name: `v${version}` });
const newRawWorker = () => new Worker(new URL('./raw.worker.js', import.meta.url), { type: 'module' });
const now = () => performance.now();

const DURABILITY = new URLSearchParams(location.search).get('durability') || undefined;
const scriptStart = now(); // this module's first line (after its imports): for the cold starts

let raw;
function rawApi() {
  if (!raw) {
    raw = wrap(newRawWorker());
    raw.configure({ durability: DURABILITY }); // before any other call (Comlink keeps the order)
  }
  return raw;
}
const peers = () => import('./peers.js');

async function openStore(name, options = {}, worker = newStoreWorker()) {
  const store = await createStore({ name, worker, ...(DURABILITY ? { durability: DURABILITY } : {}), ...options });
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

function waitForStatus(store, predicate) {
  if (predicate(store.status)) return Promise.resolve(store.status);
  return new Promise((resolve) => {
    const off = store.onStatus((s) => {
      if (predicate(s)) {
        off();
        resolve(s);
      }
    });
  });
}

/** src/storage/slicer.ts GROUP_EVENTS: the slicer slices whole groups of this many events. */
const SLICE_GROUP = 5000;
const request = (r) =>
  new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });

/** Until the store's background slicer has sliced its log through `position` (its meta `sliced`), polled from a second connection. */
async function untilSliced(name, position) {
  for (;;) {
    const db = await request(indexedDB.open(name));
    const sliced = await request(db.transaction('meta').objectStore('meta').get('sliced'));
    db.close();
    if ((sliced?.value ?? 0) >= position) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** sync.encryption with the bench's key (data.js), or nothing: what `encrypted` asks for. */
const encryptionOf = async (encrypted) => (encrypted ? { encryption: { key: await encryptionKey() } } : {});

/** A fresh worker-mode store syncing `logId` (with `encryption`, if given), once it has pulled `count` events. */
async function pulledReplica({ name, url, logId, count, encryption }) {
  const replica = await openStore(name, { sync: { url, logId, ...encryption } });
  const status = await waitForStatus(replica.store, (st) => st.head >= count || st.sync === 'error');
  if (status.head < count) {
    await replica.close();
    throw new Error(`pull into ${name}: ${JSON.stringify(status)}`);
  }
  return replica;
}

const chunks = (xs, n) => {
  const out = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
};

/**
 * `count` one-event commits, as an app offline makes them: one append() after another, each
 * awaited. (Not in concurrent bursts, which would be quicker to make: group commit shares
 * transactions, and the backlog must have the layout a user's edits leave.)
 */
async function appendOffline(store, count, seed) {
  for (const input of inputsOf(makeEvents(count, seed))) await store.append(input);
}

/**
 * One-event appends issued on a clock, one every `interval` ms, none waiting for the one
 * before (as an app's input does), until `stop()` or the inputs run out; each append's time
 * from its issue until it resolved.
 */
async function onClock(store, inputs, interval, stop) {
  const times = [];
  const calls = [];
  let i = 0;
  await new Promise((resolve) => {
    const tick = () => {
      if (stop() || i >= inputs.length) {
        clearInterval(timer);
        resolve();
        return;
      }
      const t0 = now();
      calls.push(store.append(inputs[i++]).then(() => times.push(now() - t0)));
    };
    const timer = setInterval(tick, interval);
    tick();
  });
  await Promise.all(calls);
  return times;
}

const open = new Map(); // long-lived stores of the 100k logs and replicas, by name
const entryStores = new Map(); // the worker-mode scaling cases' stores, by name

/** The long-lived store of `name`, opened on first use. */
async function openOf(name) {
  let s = open.get(name);
  if (!s) {
    s = await openStore(name);
    open.set(name, s);
  }
  return s;
}
async function closeOf(name) {
  await open.get(name)?.close();
  open.delete(name);
}
async function closeAll() {
  for (const name of [...open.keys()]) await closeOf(name);
}

/** Times `fn(x)` for each x after the first (which opens connections and is not timed). */
async function timeEach(xs, fn) {
  const times = [];
  const results = [];
  for (let i = 0; i < xs.length; i++) {
    const t0 = now();
    const r = await fn(xs[i]);
    if (i > 0) times.push(now() - t0);
    results.push(r);
  }
  return { times, results };
}
const entryProjections = (freeze) => ({
  [entryNames.grouped]: defineProjection({ name: entryNames.grouped, initial: initialGrouped, reduce: reduceGrouped, freeze }),
  [entryNames.flat]: defineProjection({ name: entryNames.flat, initial: initialFlat, reduce: reduceFlat, freeze }),
});

const commands = {
  async info() {
    const r = await rawApi().info();
    const sample = makeEvents(2000, 7);
    const sizes = sample.map(({ position, ...e }) => JSON.stringify(e).length);
    return {
      ...r,
      pageCrossOriginIsolated: self.crossOriginIsolated,
      eventBytes: { mean: sizes.reduce((a, b) => a + b, 0) / sizes.length, min: Math.min(...sizes), max: Math.max(...sizes) },
      sample: (({ position, ...e }) => e)(sample[0]),
    };
  },
  durability: () => rawApi().durability(),

  /**
   * `count` events in batches of `batch`: through append() (toolkit), as one packed raw
   * record per batch, one call each (packed), or in one raw per-event bulkAdd (raw: the
   * naive baseline).
   */
  async bulk({ kind, name, count, batch, seed }) {
    const events = makeEvents(count, seed);
    if (kind !== 'toolkit') {
      const r = rawApi();
      const t0 = now();
      if (kind === 'raw') await r.bulkAdd(name, events);
      else for (const b of chunks(events, batch)) await r.appendPacked(name, b);
      const ms = now() - t0;
      await r.drop(name);
      return { ms };
    }
    const batches = chunks(inputsOf(events), batch);
    const s = await openStore(name);
    const t0 = now();
    for (const b of batches) await s.store.append(b);
    const ms = now() - t0;
    const head = s.store.status.head;
    await s.close();
    await deleteDb(name);
    if (head !== count) throw new Error(`bulk: head ${head}, expected ${count}`);
    return { ms };
  },

  /** `count` sequential one-event appends, each timed (after `warm` untimed ones). */
  async single({ kind, name, count, warm, seed }) {
    const events = makeEvents(count + warm, seed);
    const times = [];
    if (kind === 'raw') {
      const r = rawApi();
      for (let i = 0; i < events.length; i++) {
        const t0 = now();
        await r.add(name, events[i]);
        if (i >= warm) times.push(now() - t0);
      }
      await r.drop(name);
      return { times };
    }
    const inputs = inputsOf(events);
    const s = await openStore(name);
    for (let i = 0; i < inputs.length; i++) {
      const t0 = now();
      await s.store.append(inputs[i]);
      if (i >= warm) times.push(now() - t0);
    }
    await s.close();
    await deleteDb(name);
    return { times };
  },

  /**
   * `count` one-event appends issued at once: append() (toolkit), raw calls that share a
   * transaction per burst (batched), or sequential raw transactions inside the worker (raw:
   * the naive baseline).
   */
  async concurrent({ kind, name, count, warm, seed }) {
    const events = makeEvents(count + warm, seed);
    if (kind !== 'toolkit') {
      const r = rawApi();
      const write = kind === 'batched' ? (es) => Promise.all(es.map((e) => r.queuedAdd(name, e))) : (es) => r.sequential(name, es);
      await write(events.slice(0, warm));
      const t0 = now();
      await write(events.slice(warm));
      const ms = now() - t0;
      await r.drop(name);
      return { ms };
    }
    const inputs = inputsOf(events);
    const s = await openStore(name);
    for (const e of inputs.slice(0, warm)) await s.store.append(e);
    const t0 = now();
    await Promise.all(inputs.slice(warm).map((e) => s.store.append(e)));
    const ms = now() - t0;
    const head = s.store.status.head;
    await s.close();
    await deleteDb(name);
    if (head !== count + warm) throw new Error(`concurrent: head ${head}`);
    return { ms };
  },

  /**
   * Builds a big log through append(): `count` events in batches of `batch`, then a `tail`
   * commit; returns how long it took. The pages are made as they are appended (the same
   * events as makeEvents(count + tail, seed)): 1M events at once would not fit the page.
   */
  async buildLog({ name, count, batch, tail, snapshotEvery, seed }) {
    await deleteDb(name);
    if (count % batch !== 0 || tail >= batch)
      throw new Error(`buildLog: count ${count} must be a multiple of the batch ${batch}, and the tail ${tail} under it`);
    const s = await openStore(name, { snapshotEvery });
    const t0 = now();
    // Pages of `batch`; the last one is the tail (count is a multiple of batch, tail < batch).
    for (const page of eventPages(count + tail, batch, seed)) await s.store.append(inputsOf(page));
    const ms = now() - t0;
    const head = s.store.status.head;
    const state = s.store.get(NAME);
    // The log's time span, for stateAt({ time }) (untimed).
    const [first] = await s.store.events({ limit: 1 });
    const [last] = await s.store.events({ reverse: true, limit: 1 });
    await s.close();
    return { ms, head, count: state.count, firstTime: first.time, lastTime: last.time };
  },

  /** Drops the events below `before` from a built log (store.compact()). */
  async compact({ name, before, snapshotEvery }) {
    const s = await openStore(name, { snapshotEvery });
    const result = await s.store.compact({ before });
    await s.close();
    return result;
  },

  /**
   * Time to a ready store (fresh worker) / to the raw read of snapshot + tail. `version`:
   * the projection at that version (no snapshot of it yet: a full replay). `keep`: the
   * store stays open (closeOpen closes it), for run.mjs to read the heaps.
   */
  async boot({ kind, name, snapshotEvery, version, keep }) {
    await closeAll(); // no other connection to any database while a boot is timed
    if (kind === 'raw') {
      const worker = newRawWorker();
      const t0 = now();
      const r = await wrap(worker).boot(name);
      const ms = now() - t0;
      worker.terminate();
      return { ms, ...r };
    }
    const t0 = now();
    const worker = version ? newVersionedWorker(version) : newStoreWorker();
    const store = await createStore({ name, worker, snapshotEvery });
    const ms = now() - t0;
    const head = store.status.head;
    const count = store.get(NAME).count;
    const close = async () => {
      await store.close();
      worker.terminate();
    };
    if (keep) open.set(name, { store, close });
    else await close();
    return { ms, head, count };
  },

  /**
   * The whole state at each of `points` (positions or times, `at`): stateAt() (toolkit) or
   * the raw read of the nearest snapshot + tail, reduced (raw). The first call is untimed.
   * Returns each state's count, for run.mjs to check that both sides agree.
   */
  async stateAt({ kind, name, at, points }) {
    let read;
    if (kind === 'raw') {
      const r = rawApi();
      read = (p) => (at === 'time' ? r.stateAtTime(name, p) : r.stateAt(name, p));
    } else {
      const { store } = await openOf(name);
      read = (p) => store.stateAt(NAME, { [at]: p });
    }
    const { times, results } = await timeEach(points, read);
    return { times, counts: results.map((state) => state.count) };
  },

  /** Pairs of (one-event append, undo of it) on a big log; both timed. */
  async undo({ name, count, seed }) {
    const s = await openOf(name);
    const inputs = inputsOf(makeEvents(count, seed));
    const append = [];
    const undo = [];
    for (const input of inputs) {
      let t0 = now();
      await s.store.append(input);
      append.push(now() - t0);
      t0 = now();
      const done = await s.store.undo();
      undo.push(now() - t0);
      if (!done) throw new Error('undo: nothing undone');
    }
    return { append, undo, head: s.store.status.head };
  },

  /**
   * `reps` times: `depth` one-event commits, then `depth` undo()s; the last one, which
   * undoes the commit `depth` back, is timed (the others walk the same history and are not).
   */
  async undoBack({ name, depth, reps, seed }) {
    const { store } = await openOf(name);
    const inputs = inputsOf(makeEvents(depth * reps, seed));
    const times = [];
    for (let k = 0; k < reps; k++) {
      for (const input of inputs.slice(k * depth, (k + 1) * depth)) await store.append(input);
      for (let i = 1; i < depth; i++) if (!(await store.undo())) throw new Error('undoBack: nothing undone');
      const t0 = now();
      const done = await store.undo();
      times.push(now() - t0);
      if (!done) throw new Error('undoBack: nothing undone');
    }
    return { times };
  },

  /**
   * `reps` times: reopen the store (fresh worker) and time its first call, an append();
   * reopen it again and time its first call, an undo() of that append.
   */
  async undoReopen({ name, reps, seed }) {
    const inputs = inputsOf(makeEvents(reps, seed));
    const firstCall = async (call) => {
      await closeOf(name);
      const { store } = await openOf(name);
      const t0 = now();
      const r = await call(store);
      return { ms: now() - t0, r };
    };
    const append = [];
    const undo = [];
    for (const input of inputs) {
      append.push((await firstCall((store) => store.append(input))).ms);
      const u = await firstCall((store) => store.undo());
      if (!u.r) throw new Error('undoReopen: nothing undone');
      undo.push(u.ms);
    }
    return { append, undo };
  },

  closeOpen: () => closeAll(),

  /**
   * A fresh worker-mode replica pulling `count` events (toolkit), the same server pages
   * (`pageSize` events, as the toolkit's sync asks for) written as one raw packed record
   * each (packed), or a raw per-event bulkAdd of as many events generated in the worker,
   * no server (raw: the naive baseline). `encrypted`: the toolkit's replica with
   * sync.encryption (the bench key, imported before the clock starts), from a sealed log.
   */
  async pull({ kind, name, url, logId, count, pageSize, seed }) {
    if (kind !== 'toolkit' && kind !== 'encrypted') {
      const r = rawApi();
      const t0 = now();
      let head = count;
      if (kind === 'raw') await r.bulkAddGenerated(name, count, seed);
      else head = await r.pullPacked(name, url, logId, pageSize);
      const ms = now() - t0;
      await r.drop(name);
      if (head !== count) throw new Error(`pull ${kind}: head ${head}, expected ${count}`);
      return { ms };
    }
    const encryption = await encryptionOf(kind === 'encrypted');
    const t0 = now();
    const replica = await pulledReplica({ name, url, logId, count, encryption });
    const ms = now() - t0;
    await replica.close();
    await deleteDb(name);
    return { ms };
  },

  /**
   * A worker-mode replica that pulled `count` events, kept open for `queries`, once the
   * background slicer has sliced it (the steady state queries meet; its time is reported).
   */
  async replicaOpen({ name, url, logId, count }) {
    await closeOf(name);
    await deleteDb(name);
    const t0 = now();
    const replica = await pulledReplica({ name, url, logId, count });
    const ms = now() - t0;
    open.set(name, replica);
    const t1 = now();
    await untilSliced(name, count - (count % SLICE_GROUP));
    return { ms, slicedMs: now() - t1, head: replica.store.status.head };
  },
  /** store.events(q) for each of `queries`, each timed (all of them: the group is warmed up). */
  async queries({ name, queries }) {
    const { store } = open.get(name);
    const times = [];
    const counts = [];
    for (const q of queries) {
      const t0 = now();
      const events = await store.events(q);
      times.push(now() - t0);
      counts.push(events.length);
    }
    return { times, counts };
  },
  deleteDb: ({ name }) => deleteDb(name),
  /**
   * The inspector on the open replica, `reps` times: from mountInspector() to its first rows
   * in the DOM (none still loading), and, beside each, the read it starts with as the app
   * would make it, store.events({ reverse: true, limit: 50 }).
   */
  async inspectorMount({ name, reps }) {
    const { store } = open.get(name);
    const mount = [];
    const read = [];
    for (let i = 0; i < reps; i++) {
      let t0 = now();
      await store.events({ reverse: true, limit: 50 });
      read.push(now() - t0);
      const element = document.createElement('div');
      element.style.height = '600px';
      document.body.append(element);
      t0 = now();
      const unmount = mountInspector(store, element);
      await firstRows(element.querySelector('.eventloom-inspector').shadowRoot);
      mount.push(now() - t0);
      unmount();
      element.remove();
    }
    return { mount, read };
  },

  // ---- offline work: pending events, cold start, backlog (groups cold and backlog) ----
  /**
   * A worker-mode replica of `logId` that pulled `count` events, then `pending` one-event
   * commits appended with sync paused; closed. For the cold starts.
   */
  async replicaBuild({ name, url, logId, count, pending, seed }) {
    await deleteDb(name);
    let t0 = now();
    const replica = await pulledReplica({ name, url, logId, count });
    const pullMs = now() - t0;
    t0 = now();
    replica.store.sync.pause();
    await appendOffline(replica.store, pending, seed);
    const appendMs = now() - t0;
    const status = replica.store.status;
    await replica.close();
    if (status.pending !== pending) throw new Error(`replicaBuild ${name}: ${status.pending} pending, expected ${pending}`);
    return { pullMs, appendMs, head: status.head, pending: status.pending };
  },

  /**
   * A worker-mode store syncing `logId` (a fresh log), after its first round, then paused
   * and given `pending` one-event commits; kept open for resumeUntil. `encrypted`: with
   * sync.encryption (the bench key), so the push seals every event.
   */
  async pendingStore({ name, url, logId, pending, seed, encrypted }) {
    await closeOf(name);
    await deleteDb(name);
    const s = await openStore(name, { sync: { url, logId, ...(await encryptionOf(encrypted)) } });
    open.set(name, s);
    const first = await waitForStatus(s.store, (st) => (st.sync === 'idle' && st.lastSyncedAt !== undefined) || st.sync === 'error');
    if (first.sync === 'error') throw new Error(`pendingStore ${name}: ${JSON.stringify(first)}`);
    s.store.sync.pause();
    await appendOffline(s.store, pending, seed);
    if (s.store.status.pending !== pending) throw new Error(`pendingStore ${name}: ${s.store.status.pending} pending, expected ${pending}`);
    return { head: s.store.status.head };
  },
  /** sync.resume() on a pendingStore until nothing is pending and the head reached `head`; then closed and deleted. */
  async resumeUntil({ name, head }) {
    const s = open.get(name);
    const t0 = now();
    // When the head first reached `head`: where the time went (the rest: own events confirmed).
    let headMs;
    const off = s.store.onStatus((st) => {
      if (headMs === undefined && st.head >= head) headMs = now() - t0;
    });
    s.store.sync.resume();
    const status = await waitForStatus(s.store, (st) => (st.pending === 0 && st.head >= head) || st.sync === 'error');
    const ms = now() - t0;
    off();
    await closeOf(name);
    await deleteDb(name);
    if (status.sync === 'error' || status.head !== head)
      throw new Error(`resumeUntil ${name}: ${JSON.stringify(status)}, expected head ${head}`);
    return { ms, headMs: headMs ?? ms };
  },
  /** The wire floor of a push: `count` events POSTed in batches of `batch` from the raw worker (made before the clock starts). */
  async rawPush({ url, logId, count, batch, seed }) {
    const r = rawApi();
    await r.preparePush(logId, count, seed);
    const t0 = now();
    const head = await r.pushPrepared(url, logId, batch);
    const ms = now() - t0;
    if (head !== count) throw new Error(`rawPush: server head ${head}, expected ${count}`);
    return { ms };
  },

  // ---- compaction under load (group compact) ----
  /**
   * compact({ before: head - keepEvents }) on the open store of `name` while one-event
   * appends are issued every `interval` ms, each timed until it resolved; or, without
   * `keepEvents`, `count` such appends alone.
   */
  async appendsOnClock({ name, keepEvents, count, interval, seed }) {
    const { store } = await openOf(name);
    const inputs = inputsOf(makeEvents(count ?? 100_000, seed));
    if (keepEvents === undefined) return { times: await onClock(store, inputs, interval, () => false) };
    let compactMs;
    let result;
    const t0 = now();
    const compaction = store
      .compact({ before: store.status.head - keepEvents })
      .then(
        (r) => (result = r),
        (error) => (result = { error }),
      )
      .finally(() => (compactMs = now() - t0));
    const times = await onClock(store, inputs, interval, () => compactMs !== undefined);
    await compaction;
    if (result.error) throw result.error;
    return { times, compactMs, ...result };
  },

  /** navigator.storage.estimate() of this origin. */
  storageEstimate: () => navigator.storage.estimate().then(({ usage, quota }) => ({ usage, quota })),

  // ---- worker-mode scaling (issue 13): one-event appends on states of many entries ----
  /** A store (worker or in-process) whose `shape` projection holds `entries` entries. */
  async entriesOpen({ name, mode, shape, entries, freeze }) {
    await deleteDb(name);
    let store;
    let worker;
    if (mode === 'worker') {
      worker = new Worker(new URL('./entries.worker.js', import.meta.url), { type: 'module' });
      store = await createStore({ name, worker });
    } else if (mode === 'sameThread') {
      // Diagnosis only (bench/diagnose.mjs --entries): worker mode's code, both ends on this
      // thread over a MessageChannel, so one CPU profile shows the engine's side too.
      const { serveStore } = await import('eventloom/worker');
      const { port1, port2 } = new MessageChannel();
      serveStore({ projections: entryProjections(freeze), endpoint: port1 });
      store = await createStore({ name, worker: port2 });
    } else {
      store = await createStore({ name, projections: entryProjections(freeze) });
    }
    await store.append({ type: `${shape}.fill`, payload: { entries } });
    const state = store.get(shape);
    const size = shape === 'flat' ? Object.keys(state).length : Object.values(state.groups).reduce((n, g) => n + Object.keys(g).length, 0);
    if (size !== entries) throw new Error(`entriesOpen: ${size} entries, expected ${entries}`);
    entryStores.set(name, { store, worker, shape, entries });
    return { entries: size };
  },
  /** `count` sequential one-event appends, each changing one random entry; each timed. */
  async entriesRun({ name, count, seed }) {
    const { store, shape, entries } = entryStores.get(name);
    const rand = rng(seed);
    const times = [];
    let last;
    for (let k = 0; k < count; k++) {
      last = { i: Math.floor(rand() * entries), title: `Entry changed ${seed}.${k}`, n: k + 1 };
      const t0 = now();
      await store.append({ type: `${shape}.set`, payload: last });
      times.push(now() - t0);
    }
    const state = store.get(shape);
    const entry = shape === 'flat' ? state[`e${last.i}`] : state.groups[`g${Math.floor(last.i / GROUP)}`][`e${last.i}`];
    if (entry.title !== last.title || entry.n !== last.n)
      throw new Error(`entriesRun: the page shows ${JSON.stringify(entry)}, not ${JSON.stringify(last)}`);
    return { times };
  },
  async entriesClose({ name }) {
    const s = entryStores.get(name);
    entryStores.delete(name);
    await s.store.close();
    s.worker?.terminate();
    await deleteDb(name);
  },

  // ---- peers (RxDB, Replicache): bench/page/peers.js, loaded only by these commands ----
  peerVersions: async () => (await peers()).versions(),
  /** `count` events written by a peer until durable (rxdb bulkInsert / replicache mutations + persist). */
  peerBulk: async (args) => (await peers()).bulk(args),
  /** `count` sequential one-event Replicache mutations, each until persisted. */
  peerSingle: async (args) => (await peers()).single(args),
  /** A peer database of `count` events, for peerBoot. */
  peerBuild: async (args) => (await peers()).build(args),
  /** A peer opened until all `count` events are read. */
  peerBoot: async (args) => (await peers()).boot(args),
};

window.bench = async (cmd, args) => commands[cmd](args ?? {});
window.benchReady = true;

// ---- cold start (group cold): the page opens its store at load, as an app does ------------
// `?cold=<database>&url=…&logId=…`: createStore in worker mode with sync (the server is down
// by then) right as this module runs; window.coldResult has the times since navigation start
// (performance.now()'s origin): this script's first line and the store ready.
const coldParams = new URLSearchParams(location.search);
if (coldParams.has('cold')) {
  const scriptMs = scriptStart;
  createStore({
    name: coldParams.get('cold'),
    worker: newStoreWorker(),
    sync: { url: coldParams.get('url'), logId: coldParams.get('logId') },
  }).then(
    (store) => {
      const ms = now();
      const { head, pending, sync } = store.status;
      window.coldResult = { ms, scriptMs, head, pending, sync, count: store.get(NAME).count };
    },
    (error) => {
      window.coldResult = { error: String(error?.stack ?? error) };
    },
  );
}

// ---- diagnosis (bench/diagnose.mjs only) ------------------------------------------------
let diag;
const diagApi = () => (diag ??= wrap(new Worker(new URL('./diag.worker.js', import.meta.url), { type: 'module' })));
Object.assign(commands, {
  /** p50 of `count` sequential calls of each single-append variant (each its own fresh db). */
  async diagSingle({ count }) {
    const d = diagApi();
    const events = makeEvents(count + 10, 500);
    const out = {};
    for (const variant of [
      'noop',
      'rawAdd',
      'packedAdd',
      'toolkitTx',
      'toolkitTxNoReads',
      'toolkitTxOneRead',
      'toolkitTxOptimistic',
      'nativeOptimistic',
      'dexieTxNativeRequests',
    ]) {
      const name = `diag-${variant}-${Math.random()}`;
      const times = [];
      for (let i = 0; i < events.length; i++) {
        const t0 = now();
        await d[variant](name, events[i]);
        if (i >= 10) times.push(now() - t0);
      }
      times.sort((a, b) => a - b);
      out[variant] = times[times.length >> 1];
      if (variant !== 'noop') await d.drop(name);
    }
    return out;
  },
  /** The write patterns of 1000 concurrent appends, and 1000 concurrent Comlink round trips. */
  async diagConcurrent({ count }) {
    const d = diagApi();
    const events = makeEvents(count, 501);
    const out = {};
    const t0 = now();
    await Promise.all(events.map(() => d.noop()));
    out.comlink1000ConcurrentRoundTrips = now() - t0;
    for (const variant of ['oneTxAwaitedAdds', 'oneTxBulkAdd', 'onePackedRecord']) {
      const name = `diag-${variant}-${Math.random()}`;
      out[variant] = await d[variant](name, events);
      await d.drop(name);
    }
    return out;
  },
  async diagClPage({ name }) {
    const d = diagApi();
    return { page64: await d.clPage(name, 64), page1: await d.clPage(name, 1) };
  },
  /** In-process store (no worker): for CPU profiles of the engine on the main thread. */
  async inProcess({ name, op, count, seed }) {
    const t0 = now();
    const store = await createStore({ name, projections: { [NAME]: defineProjection({ name: NAME, initial, reduce }) } });
    const bootMs = now() - t0;
    const inputs = inputsOf(makeEvents(count, seed));
    const times = [];
    if (op === 'single' || op === 'undo') {
      for (const input of inputs) {
        let t = now();
        await store.append(input);
        if (op === 'single') times.push(now() - t);
        if (op === 'undo') {
          t = now();
          await store.undo();
          times.push(now() - t);
        }
      }
    } else if (op === 'concurrent') {
      const t = now();
      await Promise.all(inputs.map((e) => store.append(e)));
      times.push(now() - t);
    }
    await store.close();
    times.sort((a, b) => a - b);
    return { bootMs, p50: times[times.length >> 1] };
  },
});

/** Resolves once the inspector's list shows rows and none is loading (a MutationObserver, no polling). */
function firstRows(root) {
  const done = () => {
    const rows = root.querySelectorAll('.row');
    return rows.length > 0 && ![...rows].some((r) => r.classList.contains('loading'));
  };
  return new Promise((resolve) => {
    if (done()) return resolve();
    const observer = new MutationObserver(() => {
      if (!done()) return;
      observer.disconnect();
      resolve();
    });
    observer.observe(root, { subtree: true, childList: true, attributes: true });
  });
}
