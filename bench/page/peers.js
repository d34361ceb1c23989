// The peers of issue 5's peer cases: RxDB and Replicache, each used as its documentation
// shows, on the page's main thread (where both normally run). Loaded by main.js only for
// the peer commands (a dynamic import), so the other cases' page is unchanged.
//
// RxDB 17: createRxDatabase with the free Dexie storage (getRxStorageDexie(), Dexie's
// default transaction durability, like the toolkit and the raw baseline), production
// defaults (no dev-mode, no schema validator, multiInstance true, eventReduce true), one
// collection `events` whose documents are the full events (id, type, payload, stream,
// clientId, commit, time, position): primary key `id`, an index on `position` as an event
// log would have.
//
// Replicache 15: one mutator `put(tx, events)` that `tx.set`s each event under
// `e/<position, zero-padded>` (scan order = log order). Replicache persists to IndexedDB
// in the background (a scheduled `persist()`: requestIdleCallback with a 1 s timeout, at
// most every 500 ms); a mutation's promise resolves once it is applied in memory. Its
// public class wraps `new ReplicacheImpl(options)`; `replicache/impl` exports that class,
// whose `persist()` writes the in-memory chunks to IndexedDB and moves the client group's
// head (resolving when its IndexedDB transaction completed). The write cases therefore use
// `new ReplicacheImpl(options, { enableScheduledPersist: false })` (everything else the
// defaults of `new Replicache(options)`) and call `persist()` themselves: "persisted" =
// that `persist()` resolved. Boot uses the public `Replicache`.
import { createRxDatabase } from 'rxdb/plugins/core';
import { getRxStorageDexie } from 'rxdb/plugins/storage-dexie';
import { RXDB_VERSION } from 'rxdb/plugins/utils';
import { Replicache, dropDatabase, version as replicacheVersion } from 'replicache';
import { ReplicacheImpl } from 'replicache/impl';
import { makeEvents } from './data.js';

const now = () => performance.now();

export const versions = () => ({ rxdb: RXDB_VERSION, replicache: replicacheVersion });

const chunks = (xs, n) => {
  const out = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
};

// ---- RxDB ----------------------------------------------------------------------------------
const eventSchema = {
  version: 0,
  primaryKey: 'id',
  type: 'object',
  properties: {
    id: { type: 'string', maxLength: 36 },
    type: { type: 'string' },
    payload: { type: 'object' },
    stream: { type: 'string' },
    clientId: { type: 'string' },
    commit: { type: 'string' },
    time: { type: 'number' },
    position: { type: 'integer', minimum: 1, maximum: 1e12, multipleOf: 1 },
  },
  required: ['id', 'type', 'payload', 'stream', 'clientId', 'commit', 'time', 'position'],
  indexes: ['position'],
};

async function openRx(name) {
  const db = await createRxDatabase({ name, storage: getRxStorageDexie() });
  await db.addCollections({ events: { schema: eventSchema } });
  return db;
}

async function rxInsert(db, events) {
  const r = await db.events.bulkInsert(events);
  if (r.error.length > 0) throw new Error(`rxdb bulkInsert: ${r.error.length} errors, first ${JSON.stringify(r.error[0]).slice(0, 300)}`);
}

// ---- Replicache ----------------------------------------------------------------------------
const key = (position) => `e/${String(position).padStart(10, '0')}`;
const mutators = {
  async put(tx, events) {
    for (const e of events) await tx.set(key(e.position), e);
  },
};
const repOptions = (name) => ({ name, mutators });

/** A write instance: Replicache's engine with the background persist off (we persist). */
async function openRepForWrites(name) {
  const rep = new ReplicacheImpl(repOptions(name), { enableScheduledPersist: false });
  await rep.query(() => null); // opened (the constructor opens in the background)
  return rep;
}

async function repCount(rep) {
  return rep.query(async (tx) => (await tx.scan({ prefix: 'e/' }).keys().toArray()).length);
}

async function closeAndDropRep(rep) {
  const idbName = rep.idbName;
  await rep.close();
  await dropDatabase(idbName);
}

// ---- the measurements ------------------------------------------------------------------------
/**
 * `count` events written and durable. rxdb: one bulkInsert of all (opened before timing).
 * replicache: mutations of `batch` events each awaited, then one persist() (`persistEach`:
 * a persist() after every mutation, before the next).
 */
export async function bulk({ peer, name, count, batch, seed, persistEach }) {
  const events = makeEvents(count, seed);
  if (peer === 'rxdb') {
    const db = await openRx(name);
    const t0 = now();
    await rxInsert(db, events);
    const ms = now() - t0;
    const n = await db.events.count().exec();
    await db.remove();
    if (n !== count) throw new Error(`rxdb bulk: ${n} documents, expected ${count}`);
    return { ms };
  }
  const rep = await openRepForWrites(name);
  const batches = chunks(events, batch);
  let inMemory = 0; // time spent in the mutations (until each resolved), persists excluded
  const t0 = now();
  for (const b of batches) {
    const t = now();
    await rep.mutate.put(b);
    inMemory += now() - t;
    if (persistEach) await rep.persist();
  }
  if (!persistEach) await rep.persist();
  const ms = now() - t0;
  const n = await repCount(rep);
  await closeAndDropRep(rep);
  if (n !== count) throw new Error(`replicache bulk: ${n} keys, expected ${count}`);
  return { ms, inMemory };
}

/**
 * `count` sequential one-event Replicache mutations, each followed by persist(): `inMemory`
 * times each until its mutation resolved (what Replicache's users wait for), `times` until
 * the persist() after it resolved (durable).
 */
export async function single({ name, count, warm, seed }) {
  const events = makeEvents(count + warm, seed);
  const rep = await openRepForWrites(name);
  const times = [];
  const inMemory = [];
  for (let i = 0; i < events.length; i++) {
    const t0 = now();
    await rep.mutate.put([events[i]]);
    const t1 = now();
    await rep.persist();
    if (i >= warm) {
      times.push(now() - t0);
      inMemory.push(t1 - t0);
    }
  }
  const n = await repCount(rep);
  await closeAndDropRep(rep);
  if (n !== events.length) throw new Error(`replicache single: ${n} keys`);
  return { times, inMemory };
}

/** The database a boot reads: `count` events, written as a write case writes them. */
export async function build({ peer, name, count, batch, seed }) {
  const events = makeEvents(count, seed);
  const t0 = now();
  if (peer === 'rxdb') {
    const db = await openRx(name);
    await rxInsert(db, events);
    await db.close();
  } else {
    const rep = await openRepForWrites(name);
    for (const b of chunks(events, batch)) await rep.mutate.put(b);
    await rep.persist();
    await rep.close();
  }
  return { ms: now() - t0 };
}

/**
 * Open until all `count` events are read. rxdb: createRxDatabase + addCollections +
 * find().exec(). replicache: new Replicache + one query that scans all entries.
 */
export async function boot({ peer, name, count }) {
  let n;
  let ms;
  if (peer === 'rxdb') {
    const t0 = now();
    const db = await openRx(name);
    const docs = await db.events.find().exec();
    ms = now() - t0;
    n = docs.length;
    await db.close();
  } else {
    const t0 = now();
    const rep = new Replicache(repOptions(name));
    const entries = await rep.query((tx) => tx.scan({ prefix: 'e/' }).entries().toArray());
    ms = now() - t0;
    n = entries.length;
    await rep.close();
  }
  if (n !== count) throw new Error(`${peer} boot: read ${n}, expected ${count}`);
  return { ms };
}
