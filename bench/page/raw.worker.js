// The baselines: raw IndexedDB through Dexie in a dedicated module worker, driven by the
// page through Comlink (so a baseline call pays the same round trip a toolkit call does).
// - naive writes: one record per event, primary key `position`, indexes `stream`, `type`;
// - packed writes: the toolkit's own record shape and indexes (one record per batch or
//   pulled page, as src/storage/schema.ts makeRecord), the layout's physical limit;
// - reads of the toolkit's own database (boot, stateAt): native IndexedDB on its packed
//   records and snapshots, the least work that reading that data can cost.
// - wire pushes (backlog): the sync protocol's POST with plain fetch, no local database.
// Writes use Dexie's default durability (IDBTransaction.durability 'default', what the
// toolkit asks for too) unless the page configures 'strict' (bench/run.mjs --durability).
import { Dexie } from 'dexie';
import { expose } from 'comlink';
import { makeEvents, wireOf } from './data.js';
import { initial, reduce, NAME } from './projection.js';

const NAIVE_SCHEMA = { log: 'position, stream, type' };
// Copied from src/storage/schema.ts (not imported: the baseline must not run toolkit code).
const PACKED_SCHEMA = { records: 'first, *sk, *tk, *ck, *cl, minTime, pending' };
const PROJECTION_VERSION = 1; // defineProjection's default, as store.worker.js uses it

let chromeTransactionDurability; // undefined: Dexie's default
let durability; // what the first write transaction reported

const dexies = new Map();
function dexie(name, stores) {
  let db = dexies.get(name);
  if (!db) {
    db = new Dexie(name, chromeTransactionDurability ? { chromeTransactionDurability } : {});
    db.version(1).stores(stores);
    dexies.set(name, db);
  }
  return db;
}
const naiveDb = (name) => dexie(name, NAIVE_SCHEMA);
const packedDb = (name) => dexie(name, PACKED_SCHEMA);

/** One read-write transaction over `table` running `body` (and noting its durability). */
function write(db, table, body) {
  return db.transaction('rw', table, (tx) => {
    durability ??= tx.idbtrans.durability;
    return body();
  });
}

/** src/storage/schema.ts makeRecord: one record for events at consecutive positions. */
function makeRecord(events) {
  const first = events[0].position;
  const distinct = (f) => [...new Set(events.map(f))];
  let minTime = Infinity;
  let maxTime = -Infinity;
  for (const e of events) {
    if (e.time < minTime) minTime = e.time;
    if (e.time > maxTime) maxTime = e.time;
  }
  return {
    first,
    last: first + events.length - 1,
    pending: 0,
    events: events.map(({ position, ...e }) => e),
    sk: distinct((e) => e.stream).map((s) => [s, first]),
    tk: distinct((e) => e.type).map((t) => [t, first]),
    ck: distinct((e) => e.commit),
    cl: distinct((e) => e.clientId).map((c) => [c, first]),
    minTime,
    maxTime,
  };
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

/** The projection's state at `position`: the newest snapshot at or before it, plus the tail. */
async function stateAtPosition(tx, position) {
  const range = IDBKeyRange.bound([NAME, PROJECTION_VERSION, 1], [NAME, PROJECTION_VERSION, position]);
  const snap = (await req(tx.objectStore('snapshots').openCursor(range, 'prev')))?.value;
  let state = snap ? snap.state : initial();
  const start = snap ? snap.position + 1 : 1;
  if (start <= position) for (const e of unpack(await recordsCovering(tx, start, position), start, position, [])) state = reduce(state, e);
  return state;
}

/**
 * The last position whose event has time <= `time`: the newest record by `minTime` at or
 * before it, then the last of its events that is not later. (This log's clock only moves
 * forward, so records are in time order: a baseline may rely on that, the toolkit may not.)
 */
async function positionAtTime(tx, time) {
  const cursor = await req(tx.objectStore('records').index('minTime').openCursor(IDBKeyRange.upperBound(time), 'prev'));
  if (!cursor) return 0;
  const record = cursor.value;
  let i = record.events.length - 1;
  while (i > 0 && record.events[i].time > time) i--;
  return record.first + i;
}

// append.concurrent's competent baseline: calls arriving together share one transaction.
// A call queues its event; the queue is written by one bulkAdd in one transaction at the
// end of the current task, and while that transaction is in flight new calls queue for
// the next one (group commit). Each call resolves when its own transaction committed.
const queues = new Map(); // name → { waiting: [{ event, resolve, reject }], busy }
const prepared = new Map(); // logId → wire events for pushPrepared
async function drain(name, q) {
  const db = naiveDb(name);
  while (q.waiting.length > 0) {
    const batch = q.waiting.splice(0);
    try {
      await write(db, db.log, () => db.log.bulkAdd(batch.map((w) => w.event)));
      for (const w of batch) w.resolve();
    } catch (error) {
      for (const w of batch) w.reject(error);
    }
  }
  q.busy = false;
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
  /** Before any database is opened: 'strict' for every write transaction (else Dexie's default). */
  configure(options) {
    chromeTransactionDurability = options.durability;
  },
  durability: () => durability,

  /** Naive: one bulkAdd of all events (one record each), in one rw transaction. */
  async bulkAdd(name, events) {
    const db = naiveDb(name);
    await write(db, db.log, () => db.log.bulkAdd(events));
  },
  /** The same for events generated here (for 100k: no 25 MB message). */
  async bulkAddGenerated(name, count, seed) {
    const events = makeEvents(count, seed);
    const t0 = performance.now();
    await api.bulkAdd(name, events);
    return performance.now() - t0;
  },
  /** Packed: one batch of events as one record, one transaction, one bulkAdd. */
  async appendPacked(name, events) {
    const db = packedDb(name);
    await write(db, db.records, () => db.records.bulkAdd([makeRecord(events)]));
  },
  /**
   * Packed pull: the pages the toolkit's replica pulls (GET …/events?after&limit), each
   * written as one record in its own transaction before the next page is fetched, as the
   * toolkit's sync loop does. Returns the head reached.
   */
  async pullPacked(name, url, logId, limit) {
    const db = packedDb(name);
    const base = `${url.replace(/\/+$/, '')}/v1/logs/${encodeURIComponent(logId)}/events`;
    let after = 0;
    for (;;) {
      const response = await fetch(`${base}?after=${after}&limit=${limit}`);
      if (!response.ok) throw new Error(`pull: HTTP ${response.status}`);
      const page = await response.json();
      if (page.events.length > 0) {
        await write(db, db.records, () => db.records.bulkAdd([makeRecord(page.events)]));
        after = page.events[page.events.length - 1].position;
      }
      if (after >= page.head || page.events.length === 0) return after;
    }
  },
  /** Events for pushPrepared, made before its clock starts (the toolkit's were appended before too). */
  preparePush(logId, count, seed) {
    prepared.set(logId, wireOf(makeEvents(count, seed)));
  },
  /**
   * The wire floor of a push (src/sync/syncer.ts #push): POST /v1/logs/:logId/events of
   * `batch` events at a time, one after another, as the toolkit's sync sends them. No local
   * reads or writes. Returns the server's head.
   */
  async pushPrepared(url, logId, batch) {
    const events = prepared.get(logId);
    prepared.delete(logId);
    const endpoint = `${url.replace(/\/+$/, '')}/v1/logs/${encodeURIComponent(logId)}/events`;
    let head = 0;
    for (let i = 0; i < events.length; i += batch) {
      const response = await fetch(endpoint, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ events: events.slice(i, i + batch) }),
      });
      if (!response.ok) throw new Error(`push: HTTP ${response.status} ${await response.text()}`);
      ({ head } = await response.json());
    }
    return head;
  },
  /** One one-event transaction (Dexie's implicit rw transaction around add). */
  async add(name, event) {
    await naiveDb(name).log.add(event);
  },
  /** Sequential one-event transactions, all in the worker (no round trip between them). */
  async sequential(name, events) {
    const db = naiveDb(name);
    for (const e of events) await db.log.add(e);
  },
  /** One event, queued to share a transaction with the calls around it (see drain). */
  queuedAdd(name, event) {
    let q = queues.get(name);
    if (!q) {
      q = { waiting: [], busy: false };
      queues.set(name, q);
    }
    return new Promise((resolve, reject) => {
      q.waiting.push({ event, resolve, reject });
      if (!q.busy) {
        q.busy = true;
        queueMicrotask(() => drain(name, q));
      }
    });
  },
  async drop(name) {
    dexies.get(name)?.close();
    dexies.delete(name);
    natives.get(name)?.close();
    natives.delete(name);
    queues.delete(name);
    await Dexie.delete(name);
  },

  /** Boot's floor: the newest snapshot row of the projection, its tail, reduced. */
  async boot(name) {
    const db = await nativeDb(name);
    const tx = db.transaction(['records', 'snapshots'], 'readonly');
    const snapCursor = await req(
      tx
        .objectStore('snapshots')
        .openCursor(IDBKeyRange.bound([NAME, PROJECTION_VERSION, 1], [NAME, PROJECTION_VERSION, Infinity]), 'prev'),
    );
    const snap = snapCursor?.value;
    let state = snap ? snap.state : initial();
    const start = snap ? snap.position + 1 : 1;
    const events = unpack(await recordsCovering(tx, start, Infinity), start, Infinity, []);
    for (const e of events) state = reduce(state, e);
    return { snapshotAt: snap?.position ?? 0, tail: events.length, count: state.count };
  },
  /** stateAt's floor: snapshot at or before `position` + the records after it, reduced; the whole state. */
  async stateAt(name, position) {
    const db = await nativeDb(name);
    return stateAtPosition(db.transaction(['records', 'snapshots'], 'readonly'), position);
  },
  /** The same at a time: the position of that time (the `minTime` index), then as above. */
  async stateAtTime(name, time) {
    const db = await nativeDb(name);
    const tx = db.transaction(['records', 'snapshots'], 'readonly');
    const position = await positionAtTime(tx, time);
    return position === 0 ? initial() : stateAtPosition(tx, position);
  },
};

expose(api);
