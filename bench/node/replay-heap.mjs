#!/usr/bin/env node
// replay.1M.heap, run by bench/run.mjs as `node --expose-gc bench/node/replay-heap.mjs N [reducer] [--no-heap]`.
// Folds N generated events (pages of 1000, made lazily) through the pure core's fold()
// (src/core/replay.ts, loaded with Vite's runnerImport: Node 20 cannot import .ts) and
// measures the live heap: gc() then heapUsed, while a page is held, every 10 pages.
// Baseline: the live heap of the final state plus one page of events. Prints one JSON line.
// reducer: 'entities' (default, below) or 'bench', the browser cases' projection
// (bench/page/projection.js, 100 streams), for a fold rate comparable with the page's replay
// (boot.1M.versionBump). --no-heap: no gc() while folding, so `ms` is the fold alone.
import { runnerImport } from 'vite';
import { STREAMS, eventPages } from '../page/data.js';
import * as benchProjection from '../page/projection.js';

if (typeof gc !== 'function') throw new Error('run with node --expose-gc');
const N = Number(process.argv[2] ?? 1_000_000);
const REDUCER = process.argv[3] && !process.argv[3].startsWith('--') ? process.argv[3] : 'entities';
const HEAP = !process.argv.includes('--no-heap');
const PAGE = 1000;
const ENTITIES = REDUCER === 'bench' ? STREAMS : 10_000;
const BUCKETS = 100;

const { module: replay } = await runnerImport(new URL('../../src/core/replay.ts', import.meta.url).pathname);
const { module: upcast } = await runnerImport(new URL('../../src/core/upcast.ts', import.meta.url).pathname);

// A pure reducer over 10,000 entities with structural sharing (100 buckets of 100):
// each event copies one bucket and the bucket array, never the whole state.
const entities = {
  name: 'items',
  version: 1,
  initial: () => ({ count: 0, buckets: Array.from({ length: BUCKETS }, () => ({})) }),
  reduce: (state, e) => {
    const id = e.payload.id;
    const b = Number(id.slice(1)) % BUCKETS;
    const buckets = state.buckets.slice();
    buckets[b] = { ...buckets[b], [id]: { title: e.payload.title, n: e.payload.n, type: e.type } };
    return { count: state.count + 1, buckets };
  },
};
const projection =
  REDUCER === 'bench' ? { name: 'items', version: 1, initial: benchProjection.initial, reduce: benchProjection.reduce } : entities;

const used = () => process.memoryUsage().heapUsed;
const live = () => {
  gc();
  gc();
  return used();
};

const h0 = live();
let peakLive = 0;
let peakRaw = 0;
let pages = 0;
function* events() {
  for (const page of eventPages(N, PAGE, 1, ENTITIES)) {
    pages++;
    if (HEAP && (pages % 10 === 1 || pages * PAGE >= N)) peakLive = Math.max(peakLive, live() - h0);
    peakRaw = Math.max(peakRaw, used() - h0);
    yield* page;
  }
}
const states = { items: projection.initial() };
const t0 = performance.now();
// No upcasters: the schema hands every event through as it is (the app's usual case).
replay.fold({ projections: [projection], states, startAt: {}, undone: new Set(), upcast: new upcast.EventSchema({}) }, events());
const ms = performance.now() - t0;
peakLive = Math.max(peakLive, live() - h0);

const stateBytes = live() - h0;
const page = eventPages(PAGE, PAGE, 2, ENTITIES).next().value;
const baselineBytes = live() - h0;
if (states.items.count !== N || page.length !== PAGE) throw new Error('replay: wrong count');
console.log(
  JSON.stringify({
    events: N,
    reducer: REDUCER,
    heapSampled: HEAP,
    ms,
    peakLive,
    peakRaw,
    stateBytes,
    pageBytes: baselineBytes - stateBytes,
    baselineBytes,
    entities: ENTITIES,
  }),
);
