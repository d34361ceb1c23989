// The baselines: raw IndexedDB through Dexie in a dedicated module worker, driven by the
// page through Comlink (so a baseline call pays the same round trip a toolkit call does).
// - writes: one record per event, primary key `position`, indexes `stream` and `type`,
//   Dexie's default durability (as the toolkit: IDBTransaction.durability 'default');
// - reads of the toolkit's own database (boot, stateAt): native IndexedDB on its packed
//   records, the least work that reading that data can cost.
import { Dexie } from 'dexie';
import { expose } from 'comlink';
import { makeEvents } from './data.js';
import { initial, reduce, NAME } from './projection.js';

const RAW_SCHEMA = 'position, stream, type';
const dbs = new Map();
let durability;

function rawDb(name) {
  let db = dbs.get(name);
  if (!db) {
    db = new Dexie(name);
    db.version(1).stores({ log: RAW_SCHEMA });
    dbs.set(name, db);
  }
  return db;
}

const req = (r) =>
  new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });

const natives = new Map();
async function nativeDb(name) {
  let db = natives.get(name);
  if (!db) {
    db = await req(indexedDB.open(name)); // current version: the toolkit's own schema
    natives.set(name, db);
  }
  return db;
}

/** Events of packed records with positions from..to (like the toolkit's eventsOf). */
function unpack(records, from, to, out) {
  for (const r of records) {
    for (let i = Math.max(0, from - r.first); i < r.events.length && r.first + i <= to; i++) {
      out.push({ ...r.events[i], position: r.first + i, pending: r.pending === 1 });
    }
  }
  return out;
}

/** Records holding positions from..to: the one containing `from`, then those after it. */
async function recordsCovering(tx, from, to) {
  const store = tx.objectStore('records');
  const records = [];
  const before = await req(store.openCursor(IDBKeyRange.upperBound(from), 'prev'));
  if (before && before.value.last >= from) records.push(before.value);
  if (to > from) records.push(...(await req(store.getAll(IDBKeyRange.bound(from, to, true, false)))));
  return records;
}

const api = {
  info() {
    let step = Infinity;
    let last = performance.now();
    for (let i = 0; i < 200000 && step > 0.001; i++) {
      const t = performance.now();
      if (t > last) {
        step = Math.min(step, t - last);
        last = t;
      }
    }
    return { crossOriginIsolated: self.crossOriginIsolated, timerStepMs: step, userAgent: navigator.userAgent, dexie: Dexie.semVer };
  },
  durability: () => durability,

  /** One bulkAdd of all events (one record each), in one rw transaction. */
  async bulkAdd(name, events) {
    const db = rawDb(name);
    await db.transaction('rw', db.log, (tx) => {
      durability ??= tx.idbtrans.durability;
      return db.log.bulkAdd(events);
    });
  },
  /** The same for events generated here (for 100k: no 25 MB message). */
  async bulkAddGenerated(name, count, seed) {
    const events = makeEvents(count, seed);
    const t0 = performance.now();
    await api.bulkAdd(name, events);
    return performance.now() - t0;
  },
  /** One one-event transaction (Dexie's implicit rw transaction around add). */
  async add(name, event) {
    await rawDb(name).log.add(event);
  },
  /** Sequential one-event transactions, all in the worker (no round trip between them). */
  async sequential(name, events) {
    const db = rawDb(name);
    const t0 = performance.now();
    for (const e of events) await db.log.add(e);
    return performance.now() - t0;
  },
  async drop(name) {
    dbs.get(name)?.close();
    dbs.delete(name);
    natives.get(name)?.close();
    natives.delete(name);
    await Dexie.delete(name);
  },

  /** Boot's floor: the newest snapshot row of the projection, its tail, reduced. */
  async boot(name) {
    const db = await nativeDb(name);
    const tx = db.transaction(['records', 'snapshots'], 'readonly');
    const snapCursor = await req(
      tx.objectStore('snapshots').openCursor(IDBKeyRange.bound([NAME, 1, 1], [NAME, 1, Infinity]), 'prev'),
    );
    const snap = snapCursor?.value;
    let state = snap ? snap.state : initial();
    const start = snap ? snap.position + 1 : 1;
    const events = unpack(await recordsCovering(tx, start, Infinity), start, Infinity, []);
    for (const e of events) state = reduce(state, e);
    return { snapshotAt: snap?.position ?? 0, tail: events.length, count: state.count };
  },
  /** stateAt's floor: read and reduce the `every` events before `position`. */
  async replayWindow(name, position, every) {
    const db = await nativeDb(name);
    const tx = db.transaction(['records'], 'readonly');
    const from = Math.max(1, position - every + 1);
    const events = unpack(await recordsCovering(tx, from, position), from, position, []);
    let state = initial();
    for (const e of events) state = reduce(state, e);
    return state.count;
  },
};

expose(api);
