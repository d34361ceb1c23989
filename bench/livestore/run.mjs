#!/usr/bin/env node
// Eventloom against LiveStore 0.4 in the same headless Chromium (issue 14, "the closest peer").
//
//   node bench/livestore/run.mjs [--runs N] [--out result.json] [--keep-going]
//
// Needs LiveStore installed in its own package (see README.md beside this file):
//   npm ci --prefix bench/livestore
//
// What it does: builds bench/livestore/page with Vite's build() API (as bench/run.mjs builds
// bench/page), serves it on 127.0.0.1 with COOP/COEP headers, launches Debian's Chromium
// ($CHROMIUM_PATH or /usr/bin/chromium) through Playwright's launchPersistentContext on a
// fresh temporary profile (OPFS and IndexedDB on disk; deleted at the end), warms every
// command up once, builds the boot logs, then runs N interleaved runs (in each run the
// sides go in an order rotated by run) and prints per-run numbers, medians, per-run paired
// ratios with their median and a bootstrap 95 % interval. --out writes everything as JSON,
// with each case in the shape bench/run.mjs's addCase() takes (toolkit / baseline samples).
//
// Cases (ratio = Eventloom ÷ LiveStore; for throughput, LiveStore time ÷ Eventloom time):
//   peer.livestore.boot            fresh page load → store ready + the state's query, on a
//                                  log of 20,500 events (Eventloom: snapshotEvery 1000)   goal ≤ 0.5
//   peer.livestore.boot.unsynced   the same, Eventloom opened with a sync config whose server
//                                  does not answer (all 20,500 pending); LiveStore: the same
//                                  store (without a sync backend all its events are unsynced) goal ≤ 0.5
//   peer.livestore.boot.nosnap     Eventloom with snapshots off (all 20,500 replayed)       (reported)
//   peer.livestore.commit          p50 of 200 one-event commits, each until durable         goal ≤ 1
//                                  (secondary: LiveStore's in-memory commit() latency)
//   peer.livestore.bulk            20k events in commits of 1000 until durable (events/s)   goal ≥ 2
//                                  (LiveStore: commits back to back, then until persisted;
//                                  secondary: waiting after each commit)
import { createServer as createNetServer } from 'node:net';
import { execFile as execFileCb } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtemp, rm, writeFile, access } from 'node:fs/promises';
import { tmpdir, cpus, totalmem, loadavg } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { build } from 'vite';
import { chromium } from 'playwright';
import { staticServer } from '../serve.mjs';
import { compare, median, quantile, stats, verdictOf } from '../stats.mjs';
import { CHROMIUM_ARGS } from '../../scripts/chromium.mjs';

const execFile = promisify(execFileCb);
const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const require = createRequire(import.meta.url);

const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : dflt;
};
const RUNS = Number(opt('runs', 10));
const OUT = opt('out');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

// Sizes: those of bench/run.mjs's peers group (C.peerEvents, C.peerTail, C.logBatch, C.every, C.single).
const C = {
  events: 20_000, // bulk, and the boot logs' body
  tail: 500, // the boot logs' last commit (head 20,500: boot replays a tail of snapshotEvery/2)
  batch: 1000,
  every: 1000,
  single: 200,
  singleWarm: 10,
};

const started = Date.now();
const log = (msg) => console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s] ${msg}`);

// ---- statistics: bench/stats.mjs, as bench/run.mjs ---------------------------------------
const p50 = (xs) => quantile(xs, 0.5);
const fmt = (x) => (x >= 1000 ? Math.round(x).toLocaleString('en-US') : x >= 10 ? x.toFixed(1) : x >= 1 ? x.toFixed(2) : x.toPrecision(2));

const cases = [];
/**
 * One case: `toolkit` and `baseline` are per-run samples in `unit` (run i of each side paired).
 * For throughput (better 'higher') the samples are events/s, so toolkit_i ÷ baseline_i is
 * the LiveStore time ÷ the Eventloom time of run i.
 */
function addCase({ name, goal, better, unit, toolkit, baseline, toolkitLabel, baselineLabel, extra }) {
  const { ratio, interval: bootstrapped, ratios } = compare(toolkit, baseline);
  const interval = bootstrapped ?? [ratio, ratio];
  const verdict = goal === undefined ? 'reported' : verdictOf({ ratio, interval, goal, better });
  cases.push({
    name,
    ratio,
    goal,
    better,
    interval,
    verdict,
    ratios,
    unit,
    toolkit: stats(toolkit),
    baseline: stats(baseline),
    samples: { toolkit, baseline },
    toolkitLabel,
    baselineLabel,
    ...extra,
  });
  const goalText = goal === undefined ? 'no goal' : `goal ${better === 'higher' ? '≥' : '≤'} ${goal}`;
  log(
    `== ${name}: Eventloom ${fmt(median(toolkit))} vs LiveStore ${fmt(median(baseline))} ${unit} (medians); ` +
      `ratio ${fmt(ratio)} [${fmt(interval[0])}–${fmt(interval[1])}] (${goalText}) ${verdict}`,
  );
}

// ---- the page ----------------------------------------------------------------------------
async function buildPage(outDir) {
  await build({
    configFile: false,
    logLevel: 'warn',
    mode: 'production', // LiveStore: NODE_ENV production (no dev-only archive copies of old state dbs)
    root: join(here, 'page'),
    base: './',
    resolve: {
      alias: [
        { find: /^eventloom\/worker$/, replacement: join(root, 'src/worker/index.ts') },
        { find: /^eventloom$/, replacement: join(root, 'src/index.ts') },
      ],
    },
    worker: { format: 'es' },
    build: {
      outDir,
      emptyOutDir: true,
      target: 'es2022',
      minify: true,
      sourcemap: false,
      reportCompressedSize: false,
      chunkSizeWarningLimit: 10_000,
    },
  });
}

/**
 * The built page (bench/serve.mjs). The HTML is never cached; the hashed assets (scripts,
 * workers, LiveStore's SQLite wasm) are cacheable as a production deployment serves them, so
 * boots after the warm-up load them from the HTTP cache with V8's code cache (both sides alike).
 */
const pageServer = (dir) => staticServer(dir, (path) => (path.endsWith('.html') ? 'no-store' : 'public, max-age=31536000, immutable'));

/** A loopback port nobody listens on (bound, then closed): Eventloom's unreachable sync server. */
function closedPort() {
  return new Promise((resolve, reject) => {
    const s = createNetServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// ---- main ----------------------------------------------------------------------------------
try {
  await access(join(here, 'node_modules/@livestore/livestore/package.json'));
} catch {
  console.error('LiveStore is not installed: run `npm ci --prefix bench/livestore` first (see bench/livestore/README.md)');
  process.exit(2);
}

const chromiumVersion = (await execFile(CHROMIUM, ['--version']).catch(() => ({ stdout: '?' }))).stdout.trim().replace(/ built on.*/, '');
const machine = {
  date: new Date().toISOString(),
  cpuModel: cpus()[0]?.model,
  cpus: cpus().length,
  memGiB: Math.round(totalmem() / 2 ** 30),
  node: process.version,
  chromium: chromiumVersion,
  playwright: require('playwright/package.json').version,
  vite: require('vite/package.json').version,
  livestorePackages: Object.fromEntries(
    ['@livestore/livestore', '@livestore/adapter-web', '@livestore/wa-sqlite', '@livestore/sqlite-wasm', 'effect'].map((p) => [
      p,
      require(join(here, 'node_modules', p, 'package.json')).version,
    ]),
  ),
  runs: RUNS,
  loadAvgStart: loadavg()[0],
};
log(
  `${RUNS} interleaved runs; ${machine.cpus} × ${machine.cpuModel}; ${machine.chromium}; LiveStore ${machine.livestorePackages['@livestore/livestore']}`,
);

const outDir = await mkdtemp(join(tmpdir(), 'eventloom-livestore-page-'));
const profile = await mkdtemp(join(tmpdir(), 'eventloom-livestore-profile-'));
let http;
let context;
let failed = false;
try {
  log('building the page (Vite)');
  await buildPage(outDir);
  http = await pageServer(outDir);
  const origin = `http://127.0.0.1:${http.address().port}`;
  const syncUrl = `http://127.0.0.1:${await closedPort()}`;

  context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') log(`page ${m.type()}: ${m.text().slice(0, 500)}`);
  });
  page.on('pageerror', (e) => log(`page error: ${e.message}`));
  page.on('dialog', (d) => d.accept().catch(() => {})); // LiveStore's beforeunload guard, should it fire
  context.on('weberror', (e) => log(`web error: ${e.error().message}`));

  const home = async () => {
    await page.goto(`${origin}/`);
    await page.waitForFunction(() => window.benchReady === true);
  };
  await home();
  const env = await page.evaluate(() => ({
    userAgent: navigator.userAgent,
    crossOriginIsolated: self.crossOriginIsolated,
    sharedWorker: typeof SharedWorker === 'function',
    opfs: typeof navigator.storage?.getDirectory === 'function',
    locks: typeof navigator.locks?.request === 'function',
  }));
  Object.assign(machine, env);
  log(`page: crossOriginIsolated ${env.crossOriginIsolated}, SharedWorker ${env.sharedWorker}, OPFS ${env.opfs}, Web Locks ${env.locks}`);
  const call = (cmd, args) => page.evaluate(([c, a]) => window.bench(c, a), [cmd, args]);
  /**
   * One measured command on a fresh page: LiveStore's shutdownPromise() leaves the store's
   * leader (and shared) worker alive until the page goes, so every command gets a page of
   * its own (no worker of an earlier command running beside it), and the directories of
   * the LiveStore stores measured before are removed first (their handles are free then).
   */
  const bench = async (cmd, args) => {
    await home();
    const c = await call('lsCleanup', { keep: [LS_LOG] });
    if (c.failed.length > 0) log(`OPFS cleanup: could not remove ${c.failed.join(', ')}`);
    return call(cmd, args);
  };
  const LS_LOG = 'bench-ls-20k';

  /** A fresh page load that boots one side: about:blank first (no page, worker or connection of the last one left). */
  async function bootOnLoad(cmd, args) {
    await page.goto('about:blank');
    await page.goto(`${origin}/?boot=${encodeURIComponent(JSON.stringify({ cmd, args }))}`);
    await page.waitForFunction(() => window.bootResult !== undefined);
    const r = await page.evaluate(() => window.bootResult);
    if (r.error) throw new Error(`${cmd} ${JSON.stringify(args)}: ${r.error}`);
    return r;
  }

  machine.livestoreVersion = (await call('lsVersion')).livestore;
  let seq = 0;
  const fresh = (tag) => `bench-${tag}-${seq++}`;

  // ---- warm-up: every command once (small), and one boot of each kind below ----
  log('warm-up');
  await bench('elBulk', { name: fresh('warm'), count: 2000, batch: C.batch, seed: 97 });
  await bench('lsBulk', { storeId: fresh('warm-ls'), count: 2000, batch: C.batch, seed: 97 });
  await bench('lsBulk', { storeId: fresh('warm-ls'), count: 2000, batch: C.batch, seed: 97, mode: 'awaited' });
  await bench('elSingle', { name: fresh('warm'), count: 10, warm: 2, seed: 96 });
  await bench('lsSingle', { storeId: fresh('warm-ls'), count: 10, warm: 2, seed: 96 });

  // ---- the disk probe (not a case): one flushed write here, OPFS and IndexedDB ----
  machine.diskProbe = await bench('prDisk', { count: 100 });
  const d = machine.diskProbe;
  log(
    `disk probe (p50 of ${d.count}): OPFS 8 KiB write ${fmt(d.opfsWriteMs)} ms, write + flush() ${fmt(d.opfsWriteFlushMs)} ms; ` +
      `IndexedDB one-record transaction 'relaxed' ${fmt(d.idbRelaxedMs)} ms, 'strict' ${fmt(d.idbStrictMs)} ms`,
  );

  // ---- the boot logs: the same 20,500 events (seed 41, as bench/run.mjs's peers group) ----
  const EL_LOG = 'bench-log-20k';
  const EL_PENDING = 'bench-log-20k-pending';
  const EL_NOSNAP = 'bench-log-20k-nosnap';
  const head = C.events + C.tail;
  for (const [name, snapshotEvery] of [
    [EL_LOG, C.every],
    [EL_PENDING, C.every],
    [EL_NOSNAP, 0],
  ]) {
    const r = await bench('elBuild', { name, count: C.events, batch: C.batch, tail: C.tail, snapshotEvery, seed: 41 });
    log(`built Eventloom ${name}: head ${r.head} in ${fmt(r.ms)} ms (snapshotEvery ${snapshotEvery})`);
  }
  const lsBuilt = await bench('lsBuild', { storeId: LS_LOG, count: C.events, batch: C.batch, tail: C.tail, seed: 41 });
  log(
    `built LiveStore ${LS_LOG}: ${lsBuilt.count} events (localHead ${lsBuilt.localHead}, upstreamHead ${lsBuilt.upstreamHead}) in ${fmt(lsBuilt.ms)} ms`,
  );
  if (lsBuilt.count !== head) throw new Error(`LiveStore boot log: ${lsBuilt.count} events, expected ${head}`);
  const boots = {
    toolkit: ['elBoot', { name: EL_LOG, snapshotEvery: C.every }],
    toolkitPending: ['elBoot', { name: EL_PENDING, snapshotEvery: C.every, sync: { url: syncUrl, logId: 'bench-livestore-pending' } }],
    toolkitNosnap: ['elBoot', { name: EL_NOSNAP, snapshotEvery: 0 }],
    livestore: ['lsBoot', { storeId: LS_LOG }],
  };
  for (const [k, [cmd, args]] of Object.entries(boots)) {
    const r = await bootOnLoad(cmd, args);
    log(
      `warm-up boot ${k}: ${fmt(r.sinceNavigation)} ms since navigation, ${fmt(r.fromCreate)} ms from create (count ${r.count}${r.pending !== undefined ? `, pending ${r.pending}` : ''}${r.storageMode ? `, ${r.storageMode}` : ''})`,
    );
  }

  // ---- the runs ----
  const S = {
    bulkToolkit: [],
    bulkLs: [],
    bulkLsAwaited: [],
    bulkLsInMemory: [],
    singleToolkit: [],
    singleLs: [],
    singleLsInMemory: [],
    bootToolkit: [],
    bootToolkitPending: [],
    bootToolkitNosnap: [],
    bootLs: [],
    bootCreate: { toolkit: [], toolkitPending: [], toolkitNosnap: [], livestore: [] },
    bootDetail: [],
  };
  const rotate = (xs, k) => xs.map((_, i) => xs[(i + k) % xs.length]);
  for (let run = 0; run < RUNS; run++) {
    const tag = `run ${run + 1}/${RUNS}`;
    for (const k of rotate(['toolkit', 'livestore', 'livestoreAwaited'], run)) {
      const seed = 500 + run;
      if (k === 'toolkit') {
        const r = await bench('elBulk', { name: fresh('bulk'), count: C.events, batch: C.batch, seed });
        S.bulkToolkit.push(r.ms);
        log(`${tag} bulk Eventloom          : ${C.events} events in ${fmt(r.ms)} ms (${fmt(C.events / (r.ms / 1000))} events/s)`);
      } else {
        const mode = k === 'livestore' ? 'pipelined' : 'awaited';
        const r = await bench('lsBulk', { storeId: fresh('bulk-ls'), count: C.events, batch: C.batch, seed, mode });
        (mode === 'pipelined' ? S.bulkLs : S.bulkLsAwaited).push(r.ms);
        if (mode === 'pipelined') S.bulkLsInMemory.push(r.inMemory);
        log(
          `${tag} bulk LiveStore ${mode.padEnd(9)}: ${C.events} events in ${fmt(r.ms)} ms (${fmt(C.events / (r.ms / 1000))} events/s); ` +
            `inside commit() ${fmt(r.inMemory)} ms`,
        );
      }
    }
    for (const k of rotate(['toolkit', 'livestore'], run)) {
      const seed = 600 + run;
      if (k === 'toolkit') {
        const r = await bench('elSingle', { name: fresh('single'), count: C.single, warm: C.singleWarm, seed });
        S.singleToolkit.push(p50(r.times));
        log(`${tag} single Eventloom: append() p50 ${fmt(p50(r.times))} ms`);
      } else {
        const r = await bench('lsSingle', { storeId: fresh('single-ls'), count: C.single, warm: C.singleWarm, seed });
        S.singleLs.push(p50(r.persisted));
        S.singleLsInMemory.push(p50(r.inMemory));
        log(`${tag} single LiveStore: persisted p50 ${fmt(p50(r.persisted))} ms; commit() in memory p50 ${fmt(p50(r.inMemory))} ms`);
      }
    }
    for (const k of rotate(Object.keys(boots), run)) {
      const [cmd, args] = boots[k];
      const r = await bootOnLoad(cmd, args);
      S[{ toolkit: 'bootToolkit', toolkitPending: 'bootToolkitPending', toolkitNosnap: 'bootToolkitNosnap', livestore: 'bootLs' }[k]].push(
        r.sinceNavigation,
      );
      S.bootCreate[k].push(r.fromCreate);
      S.bootDetail.push({ run, k, ...r });
      if (r.count !== head) throw new Error(`boot ${k}: count ${r.count}, expected ${head}`);
      log(
        `${tag} boot ${k.padEnd(14)}: ${fmt(r.sinceNavigation)} ms since navigation; ${fmt(r.fromCreate)} ms from create (ready ${fmt(r.readyMs)} + query ${fmt(r.queryMs)})` +
          `${r.pending !== undefined ? `; pending ${r.pending}` : ''}${r.storageMode ? `; ${r.storageMode}` : ''}`,
      );
    }
  }

  // ---- the cases ----
  const rate = (ms) => ms.map((x) => C.events / (x / 1000));
  const toolkitBoot = (what) =>
    `fresh page load → fresh worker + createStore until ready + get() of the bench projection, on a log of ${head} events (${what}); time since navigation start`;
  const lsBoot = `fresh page load → createStorePromise (makePersistedAdapter, OPFS, leader + shared worker) until ready + store.query() of both state tables, on a store of ${head} events committed locally (no sync backend: all unsynced); time since navigation start`;
  const create = (k) => ({
    fromCreate: {
      toolkit: stats(S.bootCreate[k]),
      livestore: stats(S.bootCreate.livestore),
      ratio: median(S.bootCreate[k].map((t, i) => t / S.bootCreate.livestore[i])),
    },
  });
  addCase({
    name: 'peer.livestore.boot',
    goal: 0.5,
    better: 'lower',
    unit: 'ms',
    toolkit: S.bootToolkit,
    baseline: S.bootLs,
    toolkitLabel: toolkitBoot(`snapshotEvery ${C.every}: the newest snapshot + a ${C.tail}-event tail; no sync, the events are local`),
    baselineLabel: lsBoot,
    extra: create('toolkit'),
  });
  addCase({
    name: 'peer.livestore.boot.unsynced',
    goal: 0.5,
    better: 'lower',
    unit: 'ms',
    toolkit: S.bootToolkitPending,
    baseline: S.bootLs,
    toolkitLabel: toolkitBoot(
      `snapshotEvery ${C.every}; opened with sync: { url } of a loopback port nobody listens on, so all ${head} events are pending`,
    ),
    baselineLabel: lsBoot,
    extra: create('toolkitPending'),
  });
  addCase({
    name: 'peer.livestore.boot.nosnap',
    goal: undefined,
    better: 'lower',
    unit: 'ms',
    toolkit: S.bootToolkitNosnap,
    baseline: S.bootLs,
    toolkitLabel: toolkitBoot('snapshots off: all events replayed'),
    baselineLabel: lsBoot,
    extra: create('toolkitNosnap'),
  });
  const toolkitSingle = `p50 of ${C.single} sequential one-event append()s, each until its promise resolved (durable; worker mode)`;
  addCase({
    name: 'peer.livestore.commit',
    goal: 1,
    better: 'lower',
    unit: 'ms (p50 per run)',
    toolkit: S.singleToolkit,
    baseline: S.singleLs,
    toolkitLabel: toolkitSingle,
    baselineLabel: `p50 of ${C.single} sequential one-event store.commit()s, each until store.syncStatus().pendingCount was 0 (the leader worker wrote it to OPFS)`,
  });
  addCase({
    name: 'peer.livestore.commit.inMemory',
    goal: undefined,
    better: 'lower',
    unit: 'ms (p50 per run)',
    toolkit: S.singleToolkit,
    baseline: S.singleLsInMemory,
    toolkitLabel: toolkitSingle,
    baselineLabel: "the synchronous store.commit() call alone (applied to the page's in-memory SQLite; not yet on disk)",
  });
  const toolkitBulk = `append() of ${C.events} events in batches of ${C.batch}, each awaited (durable), worker mode`;
  addCase({
    name: 'peer.livestore.bulk',
    goal: 2,
    better: 'higher',
    unit: 'events/s',
    toolkit: rate(S.bulkToolkit),
    baseline: rate(S.bulkLs),
    toolkitLabel: toolkitBulk,
    baselineLabel: `${C.events / C.batch} store.commit()s of ${C.batch} events back to back, then until pendingCount was 0 (all in OPFS)`,
    extra: { livestoreInsideCommitMs: stats(S.bulkLsInMemory) },
  });
  addCase({
    name: 'peer.livestore.bulk.awaited',
    goal: undefined,
    better: 'higher',
    unit: 'events/s',
    toolkit: rate(S.bulkToolkit),
    baseline: rate(S.bulkLsAwaited),
    toolkitLabel: toolkitBulk,
    baselineLabel: `${C.events / C.batch} store.commit()s of ${C.batch} events, each followed by waiting until pendingCount was 0`,
  });

  machine.loadAvgEnd = loadavg()[0];
  if (OUT) {
    await writeFile(resolve(OUT), `${JSON.stringify({ machine, sizes: C, cases, bootDetail: S.bootDetail }, null, 2)}\n`);
    log(`wrote ${OUT}`);
  }
  console.log('\n| case | Eventloom | LiveStore | unit | ratio [95 % CI] | goal | verdict |\n| --- | --- | --- | --- | --- | --- | --- |');
  for (const c of cases) {
    console.log(
      `| ${c.name} | ${fmt(c.toolkit.median)} | ${fmt(c.baseline.median)} | ${c.unit} | ${fmt(c.ratio)} [${fmt(c.interval[0])}–${fmt(c.interval[1])}] | ` +
        `${c.goal === undefined ? '—' : `${c.better === 'higher' ? '≥' : '≤'} ${c.goal}`} | ${c.verdict} |`,
    );
  }
  console.log(
    `\n${machine.cpus} × ${machine.cpuModel}, ${machine.chromium}, LiveStore ${machine.livestoreVersion}, ${RUNS} runs; load average ${machine.loadAvgStart.toFixed(2)} → ${machine.loadAvgEnd.toFixed(2)} (a shared machine: absolute figures are noisy)`,
  );
} catch (error) {
  failed = true;
  log(`FAILED: ${error?.stack ?? error}`);
} finally {
  await context?.close().catch(() => {});
  http?.close();
  await rm(profile, { recursive: true, force: true }).catch(() => {});
  await rm(outDir, { recursive: true, force: true }).catch(() => {});
}
process.exit(failed ? 1 : 0);
