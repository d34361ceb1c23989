// Diagnosis only (bench/diagnose.mjs): the toolkit's IndexedDB access patterns replayed
// with raw Dexie, to split a toolkit time into what IndexedDB costs and what the rest costs.
import { Dexie } from 'dexie';
import { expose } from 'comlink';

const TOOLKIT_STORES = {
  records: 'first, *sk, *tk, *ck, *cl, minTime, pending',
  snapshots: '[projection+version+position], position',
  meta: 'key',
  rejected: 'commit, at',
  slices: '[kind+name+first+last+n], first',
};
const dbs = new Map();
function toolkitDb(name) {
  let db = dbs.get(name);
  if (!db) {
    db = new Dexie(name, { chromeTransactionDurability: 'default' });
    db.version(1).stores(TOOLKIT_STORES);
    dbs.set(name, db);
  }
  return db;
}
function rawDb(name) {
  let db = dbs.get(name);
  if (!db) {
    db = new Dexie(name);
    db.version(1).stores({ log: 'position, stream, type' });
    dbs.set(name, db);
  }
  return db;
}

/** src/storage/schema.ts makeRecord */
function makeRecord(first, events, pending) {
  const set = (f) => [...new Set(events.map(f))];
  return {
    first,
    last: first + events.length - 1,
    pending: pending ? 1 : 0,
    events: events.map(({ position, pending: _p, ...e }) => e),
    sk: set((e) => e.stream).map((s) => [s, first]),
    tk: set((e) => e.type).map((t) => [t, first]),
    ck: set((e) => e.commit),
    cl: set((e) => e.clientId).map((c) => [c, first]),
    minTime: Math.min(...events.map((e) => e.time)),
    maxTime: Math.max(...events.map((e) => e.time)),
  };
}

const natives = new Map();
/** The same database as toolkitDb(name), opened with native IndexedDB. */
async function nativeOf(name) {
  let db = natives.get(name);
  if (!db) {
    await toolkitDb(name).open();
    db = await new Promise((resolve, reject) => {
      const r = indexedDB.open(toolkitDb(name).name);
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
    natives.set(name, db);
  }
  return db;
}

const time = async (f) => {
  const t0 = performance.now();
  const r = await f();
  return { ms: performance.now() - t0, r };
};

const api = {
  noop() {},
  /** Variant A: one-event packed record, a one-store transaction (the toolkit schema). */
  async packedAdd(name, event) {
    const db = toolkitDb(name);
    await db.records.add(makeRecord(event.position, [event], false));
  },
  /** Variant B: the toolkit's append transaction: 4 stores, 2 reads, then the add. */
  async toolkitTx(name, event) {
    const db = toolkitDb(name);
    await db.transaction('rw', db.records, db.snapshots, db.meta, db.rejected, async () => {
      await db.meta.get('rewrite');
      await db.records
        .where(':id')
        .above(event.position - 1)
        .toArray();
      await db.records.add(makeRecord(event.position, [event], false));
    });
  },
  /** Variant B0: B without its two reads (the add alone in the 4-store transaction). */
  async toolkitTxNoReads(name, event) {
    const db = toolkitDb(name);
    await db.transaction('rw', db.records, db.slices, db.snapshots, db.meta, async () => {
      await db.records.add(makeRecord(event.position, [event], false));
    });
  },
  /** Variant B1: B with one read (the meta record) issued with the add, not awaited first. */
  async toolkitTxOneRead(name, event) {
    const db = toolkitDb(name);
    await db.transaction('rw', db.records, db.slices, db.snapshots, db.meta, async () => {
      const seen = db.meta.get('rewrite');
      await db.records.add(makeRecord(event.position, [event], false));
      await seen;
    });
  },
  /** Variant B2: what the engine's optimistic batch issues (two reads queued before the add). */
  async toolkitTxOptimistic(name, event) {
    const db = toolkitDb(name);
    await db.transaction('rw', db.records, db.slices, db.snapshots, db.meta, async () => {
      const seen = Promise.all([
        db.meta.get('rewrite'),
        db.records
          .where(':id')
          .above(event.position - 1)
          .count(),
      ]);
      await db.records.add(makeRecord(event.position, [event], false));
      await seen;
    });
  },
  /** Variant N: B2's requests on native IndexedDB (no Dexie). */
  async nativeOptimistic(name, event) {
    const db = await nativeOf(name);
    await new Promise((resolve, reject) => {
      const tx = db.transaction(['records', 'slices', 'snapshots', 'meta'], 'readwrite', { durability: 'default' });
      tx.objectStore('meta').get('rewrite');
      tx.objectStore('records').count(IDBKeyRange.lowerBound(event.position, true));
      tx.objectStore('records').add(makeRecord(event.position, [event], false));
      tx.oncomplete = resolve;
      tx.onerror = () => reject(tx.error);
    });
  },
  /** Variant DN: a Dexie transaction whose requests are issued on its native IDBTransaction. */
  async dexieTxNativeRequests(name, event) {
    const db = toolkitDb(name);
    await db.transaction('rw', db.records, db.slices, db.snapshots, db.meta, async (tx) => {
      const t = tx.idbtrans;
      const r1 = t.objectStore('meta').get('rewrite');
      const r2 = t.objectStore('records').count(IDBKeyRange.lowerBound(event.position, true));
      const r3 = t.objectStore('records').add(makeRecord(event.position, [event], false));
      await new Promise((resolve, reject) => {
        r3.onsuccess = resolve;
        r3.onerror = () => reject(r3.error);
      });
      return [r1.result, r2.result];
    });
  },
  /** Variant C: raw one record per event, Dexie add (the baseline). */
  async rawAdd(name, event) {
    await rawDb(name).log.add(event);
  },
  /** Group commit's write pattern: one transaction, one awaited add per commit. */
  async oneTxAwaitedAdds(name, events) {
    const db = toolkitDb(name);
    return (
      await time(() =>
        db.transaction('rw', db.records, async () => {
          for (const e of events) await db.records.add(makeRecord(e.position, [e], false));
        }),
      )
    ).ms;
  },
  /** The same records in one bulkAdd (one request). */
  async oneTxBulkAdd(name, events) {
    const db = toolkitDb(name);
    return (
      await time(() => db.transaction('rw', db.records, () => db.records.bulkAdd(events.map((e) => makeRecord(e.position, [e], false)))))
    ).ms;
  },
  /** The same events as ONE packed record. */
  async onePackedRecord(name, events) {
    const db = toolkitDb(name);
    return (await time(() => db.records.add(makeRecord(events[0].position, events, false)))).ms;
  },
  /** What walkClient() reads for refreshHistory(): a page of 64 records of the 'cl' index, newest first. */
  async clPage(name, limit) {
    const db = toolkitDb(name);
    await db.open();
    const head = (await db.records.orderBy(':id').last()).last;
    const any = await db.records.orderBy(':id').last();
    const clientId = any.events[0].clientId;
    const { ms, r } = await time(() =>
      db.records.where('cl').between([clientId, -Infinity], [clientId, head], true, true).reverse().limit(limit).toArray(),
    );
    return { ms, records: r.length, events: r.reduce((n, x) => n + x.events.length, 0) };
  },
  async drop(name) {
    natives.get(name)?.close();
    natives.delete(name);
    dbs.get(name)?.close();
    dbs.delete(name);
    await Dexie.delete(name);
  },
};
expose(api);
