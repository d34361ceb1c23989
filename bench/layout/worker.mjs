// Dedicated module worker: runs the IndexedDB layout measurements with Dexie.
// Driven by bench/layout/run.mjs through page.html (one command per message).
// Every timed section ends when the IndexedDB transaction has committed
// (db.transaction(...) resolves after the `complete` event).
import { Dexie } from '/dexie.mjs';

const STREAMS = 100; // distinct streams ("todo-0".."todo-99")
const TYPES = ['added', 'renamed', 'done', 'removed'];
const CLIENTS = 4;
const COMMIT_SIZE = 10; // events per commit id in the bulk data
const T0 = 1_750_000_000_000;

// Deterministic PRNG (mulberry32) so every run writes the same data.
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function uuidLike(rand) {
  const hex = (n) => {
    let s = '';
    for (let i = 0; i < n; i++) s += ((rand() * 16) | 0).toString(16);
    return s;
  };
  return `${hex(8)}-${hex(4)}-7${hex(3)}-${hex(4)}-${hex(12)}`;
}

/**
 * `count` events in log order (position = index + 1), ~185 bytes of JSON each, e.g.
 * {"id":"<36-char uuid>","type":"renamed","payload":{"id":"t34","title":"Task 812","n":812},
 *  "stream":"todo-34","clientId":"c2","commit":"2684e4","time":1750000030044}
 * 100 streams, 4 types, 4 clients (50-event turns), a new commit id every 10 events.
 */
function makeEvents(count, seed = 1) {
  const rand = rng(seed);
  const clients = Array.from({ length: CLIENTS }, (_, c) => `c${c + 1}`);
  const events = new Array(count);
  let commit = '';
  for (let i = 0; i < count; i++) {
    if (i % COMMIT_SIZE === 0) commit = uuidLike(rand).slice(0, 6);
    const k = (rand() * STREAMS) | 0;
    events[i] = {
      id: uuidLike(rand),
      type: TYPES[(rand() * TYPES.length) | 0],
      payload: { id: `t${k}`, title: `Task ${i}`, n: i },
      stream: `todo-${k}`,
      clientId: clients[((i / 50) | 0) % CLIENTS],
      commit,
      time: T0 + i * 37,
    };
  }
  return events;
}

/** The toolkit's record shape (src/storage/schema.ts makeRecord). */
function makeRecord(first, events, pending) {
  const streams = new Set();
  const types = new Set();
  const commits = new Set();
  const clients = new Set();
  let minTime = Infinity;
  let maxTime = -Infinity;
  for (const e of events) {
    streams.add(e.stream);
    types.add(e.type);
    commits.add(e.commit);
    clients.add(e.clientId);
    if (e.time < minTime) minTime = e.time;
    if (e.time > maxTime) maxTime = e.time;
  }
  return {
    first,
    last: first + events.length - 1,
    pending: pending ? 1 : 0,
    events,
    sk: [...streams].map((s) => [s, first]),
    tk: [...types].map((t) => [t, first]),
    ck: [...commits],
    cl: [...clients].map((c) => [c, first]),
    minTime,
    maxTime,
  };
}

const PACKED_SCHEMA = 'first, *sk, *tk, *ck, *cl, minTime, pending';
const ONE_SCHEMA = 'position, stream, type';

// Extra layouts, only to split the cost between records and index entries:
// 'one-noidx' = one record per event with no secondary index, 'p100-noidx' = 100 events
// per record with no secondary index.
const SCHEMAS = {
  one: ONE_SCHEMA,
  'one-noidx': 'position',
  p100: PACKED_SCHEMA,
  p1000: PACKED_SCHEMA,
  'p100-noidx': 'first',
  packed: PACKED_SCHEMA,
};
const isOne = (layout) => layout.startsWith('one');

function openDb(name, layout) {
  // No chromeTransactionDurability option: Dexie's default (the browser's 'default').
  const db = new Dexie(name);
  db.version(1).stores({ log: SCHEMAS[layout] });
  return db;
}

/** Secondary-index entries the layout's records create (each is one more B-tree entry). */
function indexEntries(layout, records) {
  if (layout === 'one') return records.length * 2;
  if (layout.endsWith('noidx')) return 0;
  return records.reduce((n, r) => n + r.sk.length + r.tk.length + r.ck.length + r.cl.length + 2, 0);
}

function toRecords(layout, events) {
  if (isOne(layout)) return events.map((e, i) => ({ position: i + 1, ...e }));
  const size = layout.startsWith('p1000') ? 1000 : 100;
  const records = [];
  for (let i = 0; i < events.length; i += size) {
    // Events are stored without position: position = first + index in record.
    records.push(makeRecord(i + 1, events.slice(i, i + size), false));
  }
  return records;
}

function unpack(layout, rows) {
  if (isOne(layout)) return rows;
  const out = [];
  for (const r of rows) {
    for (let i = 0; i < r.events.length; i++) out.push({ ...r.events[i], position: r.first + i, pending: r.pending === 1 });
  }
  return out;
}

const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

let durabilitySeen;

const commands = {
  async info({ count }) {
    const events = makeEvents(count);
    const sizes = events.map((e) => JSON.stringify(e).length);
    // Smallest non-zero step of performance.now(): 5 µs when cross-origin isolated.
    let step = Infinity;
    for (let i = 0; i < 2000; i++) {
      const a = performance.now();
      let b = performance.now();
      while (b === a) b = performance.now();
      step = Math.min(step, b - a);
    }
    return {
      crossOriginIsolated: self.crossOriginIsolated,
      timerStepMs: step,
      eventBytesMean: sizes.reduce((s, x) => s + x, 0) / sizes.length,
      eventBytesMin: Math.min(...sizes),
      eventBytesMax: Math.max(...sizes),
      sample: events[0],
      dexie: Dexie.semVer,
      hardwareConcurrency: navigator.hardwareConcurrency,
      userAgent: navigator.userAgent,
      persisted: navigator.storage?.persisted ? await navigator.storage.persisted() : undefined,
    };
  },

  /** Bulk write of `count` events in one transaction, then close, reopen and read all back. */
  async bulk({ layout, run, count }) {
    const events = makeEvents(count);
    const name = `bulk-${layout}-${run}`;
    await Dexie.delete(name);
    let db = openDb(name, layout);
    await db.open();

    const t0 = performance.now();
    const records = toRecords(layout, events);
    await db.transaction('rw', db.log, async (tx) => {
      durabilitySeen ??= tx.idbtrans.durability;
      await db.log.bulkAdd(records);
    });
    const writeMs = performance.now() - t0;
    db.close();

    db = openDb(name, layout);
    const t1 = performance.now();
    await db.open();
    const openMs = performance.now() - t1;
    const t2 = performance.now();
    const rows = await db.log.toArray();
    const readMs = performance.now() - t2;
    const t3 = performance.now();
    const back = unpack(layout, rows);
    const unpackMs = performance.now() - t3;
    if (back.length !== count) throw new Error(`${layout}: read ${back.length} events, wrote ${count}`);
    if (back[count - 1].id !== events[count - 1].id) throw new Error(`${layout}: last event differs`);
    const recordBytes = JSON.stringify(records[0]).length;
    db.close();
    await Dexie.delete(name);
    return { writeMs, openMs, readMs, unpackMs, records: records.length, recordBytes, indexEntries: indexEntries(layout, records) };
  },

  /** `count` sequential one-event transactions into an empty db; per-append ms. */
  async single({ layout, run, count }) {
    const events = makeEvents(count, 2);
    const name = `single-${layout}-${run}`;
    await Dexie.delete(name);
    const db = openDb(name, layout);
    await db.open();
    const times = [];
    for (let i = 0; i < count; i++) {
      const t0 = performance.now();
      const record = layout === 'one' ? { position: i + 1, ...events[i] } : makeRecord(i + 1, [events[i]], true);
      await db.transaction('rw', db.log, async () => {
        await db.log.add(record);
      });
      times.push(performance.now() - t0);
    }
    const n = await db.log.count();
    if (n !== count) throw new Error(`${layout}: ${n} records, wrote ${count}`);
    db.close();
    await Dexie.delete(name);
    const sorted = [...times].sort((a, b) => a - b);
    return {
      p50: quantile(sorted, 0.5),
      p90: quantile(sorted, 0.9),
      max: sorted[sorted.length - 1],
      totalMs: times.reduce((s, x) => s + x, 0),
    };
  },

  async durability() {
    return durabilitySeen;
  },
};

self.onmessage = async ({ data: { id, cmd, args } }) => {
  try {
    self.postMessage({ id, ok: true, value: await commands[cmd](args ?? {}) });
  } catch (error) {
    self.postMessage({ id, ok: false, error: String(error?.stack ?? error) });
  }
};
self.postMessage({ ready: true });

// ---- stream queries on logs of multi-stream records (issue 14) -----------------------
// 'packed': the toolkit's schema before issue 14 (a stream query reads every record that
// holds one event of the stream); 'sliced': records without *sk, plus one `slices` row per
// (stream, record) holding a copy of that stream's events of the record (the toolkit's
// layout since). Only to split the slices' write cost: 'sliced-noev' writes the same rows
// without the events (the per-row part), 'sliced-1' one row per record holding a copy of
// all its events (the per-byte part).
const STREAM_SCHEMAS = {
  packed: { log: PACKED_SCHEMA },
  sliced: { log: 'first, *tk, *ck, *cl, minTime, pending', slices: '[s+first]' },
  'sliced-noev': { log: 'first, *tk, *ck, *cl, minTime, pending', slices: '[s+first]' },
  'sliced-1': { log: 'first, *tk, *ck, *cl, minTime, pending', slices: '[s+first]' },
};

function slicesOf(record) {
  const byStream = new Map();
  record.events.forEach((e, i) => {
    let s = byStream.get(e.stream);
    if (!s) {
      s = { s: e.stream, first: record.first, at: [], events: [] };
      byStream.set(e.stream, s);
    }
    s.at.push(i);
    s.events.push(e);
  });
  return [...byStream.values()];
}

commands.streams = async ({ variant, run, count, batch }) => {
  const events = makeEvents(count, 3);
  const name = `streams-${variant}-${run}`;
  await Dexie.delete(name);
  const schema = STREAM_SCHEMAS[variant];
  let db = new Dexie(name);
  db.version(1).stores(schema);
  await db.open();
  const t0 = performance.now();
  for (let i = 0; i < count; i += batch) {
    const record = makeRecord(i + 1, events.slice(i, i + batch), false);
    if (variant.startsWith('sliced')) {
      const { sk, ...rest } = record;
      let slices = slicesOf(record);
      if (variant === 'sliced-noev') slices = slices.map(({ events, ...x }) => x);
      if (variant === 'sliced-1') slices = [{ s: 'all', first: record.first, events: record.events }];
      await db.transaction('rw', db.log, db.slices, async () => {
        await db.log.add(rest);
        await db.slices.bulkAdd(slices);
      });
    } else {
      await db.transaction('rw', db.log, async () => {
        await db.log.add(record);
      });
    }
  }
  const writeMs = performance.now() - t0;
  db.close();
  db = new Dexie(name);
  db.version(1).stores(schema);
  await db.open();
  const streamMs = [];
  const posMs = [];
  let got = 0;
  for (let k = 0; k < 10; k++) {
    const stream = `todo-${k * 7}`;
    const a = performance.now();
    let out;
    if (variant.startsWith('sliced')) {
      const rows = await db.slices.where('[s+first]').between([stream, -Infinity], [stream, Infinity]).toArray();
      out = rows.flatMap((r) => (r.events ?? []).map((e, j) => ({ ...e, position: r.first + r.at[j] })));
    } else {
      const rows = await db.log.where('sk').between([stream, -Infinity], [stream, Infinity]).toArray();
      out = rows.flatMap((r) => r.events.flatMap((e, j) => (e.stream === stream ? [{ ...e, position: r.first + j }] : [])));
    }
    streamMs.push(performance.now() - a);
    got = out.length;
    const from = 1 + Math.floor(((k * 0.37) % 1) * (count - 2000));
    const b = performance.now();
    const rows = await db.log
      .where('first')
      .between(from - batch, from + 1000, true, true)
      .toArray();
    const pos = rows
      .flatMap((r) => r.events.map((e, j) => ({ ...e, position: r.first + j })))
      .filter((e) => e.position > from && e.position <= from + 1000);
    posMs.push(performance.now() - b);
    if (pos.length !== 1000) throw new Error(`read ${pos.length} by position`);
  }
  db.close();
  await Dexie.delete(name);
  const med = (xs) => [...xs].sort((x, y) => x - y)[xs.length >> 1];
  return { writeMs, streamMs: med(streamMs), posMs: med(posMs), streamEvents: got };
};
