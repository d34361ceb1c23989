#!/usr/bin/env node
// Diagnosis behind docs/benchmarks.md: why cases miss their goals. Not part of `npm run
// bench`. Builds bench/page unminified, then in Chromium (persistent profile, COOP/COEP):
//  1. single append: p50 of the toolkit's IndexedDB pattern replayed raw (diag.worker.js);
//  2. 1000 concurrent appends: the write patterns of a group-committed batch;
//  3. on a 100k log of 1000-event records: the 'cl' page that walkClient() reads;
//  4. CPU profiles (CDP Profiler) of the engine run in-process on the page's main thread.
// And in Node: a CPU profile of HTTP pushes to the SQLite server.
// With --entries, only this: CPU profiles of one-event appends on a 100k-entry state
// (bench/page/entries.js): the page's main thread in worker mode, and the whole engine run
// in-process on the page (what the worker does, on a thread the profiler can see).
//   node bench/diagnose.mjs [--skip-browser] [--skip-node] [--entries]
import { createServer } from 'node:http';
import { execFile as execFileCb } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtemp, readFile, rm, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, dirname, extname, basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { chromium } from 'playwright';
import { CHROMIUM_ARGS } from '../scripts/chromium.mjs';

const execFile = promisify(execFileCb);
const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const argv = process.argv.slice(2);
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const started = Date.now();
const log = (msg) => console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s] ${msg}`);

/** Top self-time functions of a V8 CPU profile (Profiler.stop / --cpu-prof format). */
function summarize(profile, top = 18) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = (profile.timeDeltas[i] ?? 0) / 1000;
    total += dt;
    const f = byId.get(profile.samples[i]).callFrame;
    const key = `${f.functionName || '(anonymous)'} ${f.url ? `${basename(f.url)}:${f.lineNumber + 1}` : ''}`.trim();
    self.set(key, (self.get(key) ?? 0) + dt);
  }
  const rows = [...self].sort((a, b) => b[1] - a[1]).slice(0, top);
  return {
    totalMs: total,
    rows: rows.map(([k, ms]) => `${ms.toFixed(1).padStart(8)} ms ${((100 * ms) / total).toFixed(1).padStart(5)} %  ${k}`),
  };
}

if (!argv.includes('--skip-browser')) {
  const outDir = await mkdtemp(join(tmpdir(), 'eventloom-diag-page-'));
  const profileDir = await mkdtemp(join(tmpdir(), 'eventloom-diag-profile-'));
  await build({
    configFile: false,
    logLevel: 'warn',
    root: join(here, 'page'),
    base: './',
    resolve: {
      alias: [
        { find: /^eventloom\/worker$/, replacement: join(root, 'src/worker/index.ts') },
        { find: /^eventloom$/, replacement: join(root, 'src/index.ts') },
      ],
    },
    worker: { format: 'es' },
    build: { outDir, emptyOutDir: true, target: 'es2022', minify: false, reportCompressedSize: false },
  });
  const http = createServer(async (req, res) => {
    const headers = {
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
      'Cross-Origin-Resource-Policy': 'same-origin',
    };
    let path = new URL(req.url, 'http://x').pathname;
    if (path === '/') path = '/index.html';
    try {
      const body = await readFile(join(outDir, path));
      res.writeHead(200, { ...headers, 'Content-Type': extname(path) === '.html' ? 'text/html' : 'text/javascript' }).end(body);
    } catch {
      res.writeHead(404, headers).end();
    }
  });
  await new Promise((r) => http.listen(0, '127.0.0.1', r));
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (e) => log(`page error: ${e.message}`));
    await page.goto(`http://127.0.0.1:${http.address().port}/`);
    await page.waitForFunction(() => window.benchReady === true);
    const bench = (cmd, args) => page.evaluate(([c, a]) => window.bench(c, a), [cmd, args]);
    await bench('single', { kind: 'toolkit', name: 'warm', count: 20, warm: 5, seed: 1 });

    if (argv.includes('--entries')) {
      const cdp = await context.newCDPSession(page);
      await cdp.send('Profiler.enable');
      await cdp.send('Profiler.setSamplingInterval', { interval: 100 });
      for (const [mode, entries, freeze] of [
        ['worker', 100],
        ['worker', 100_000],
        ['sameThread', 100],
        ['sameThread', 100_000],
        ['sameThread', 100_000, false],
        ['local', 100],
        ['local', 100_000],
      ]) {
        const name = `diag-entries-${mode}-${entries}-${freeze}`;
        await bench('entriesOpen', { name, mode, shape: 'grouped', entries, freeze });
        await bench('entriesRun', { name, count: 50, seed: 1 });
        await cdp.send('Profiler.start');
        const r = await bench('entriesRun', { name, count: 400, seed: 2 });
        const { profile } = await cdp.send('Profiler.stop');
        await bench('entriesClose', { name });
        const s = summarize(profile, 14);
        r.times.sort((a, b) => a - b);
        log(
          `${mode} mode, ${entries} grouped entries${freeze === false ? ', freeze: false' : ''}: 400 one-event appends, p50 ${r.times[200].toFixed(3)} ms; main thread sampled ${s.totalMs.toFixed(0)} ms; top self time:\n${s.rows.join('\n')}`,
        );
      }
      argv.push('--skip-node');
    } else
      for (let i = 0; i < 3; i++) {
        const s = await bench('diagSingle', { count: 150 });
        const t = await bench('single', { kind: 'toolkit', name: `diag-tk-${i}`, count: 150, warm: 10, seed: 2 });
        t.times.sort((a, b) => a - b);
        log(
          `single append p50 ms: Comlink no-op ${s.noop.toFixed(3)}, raw add ${s.rawAdd.toFixed(3)}, packed one-event record ${s.packedAdd.toFixed(3)}, ` +
            `toolkit transaction pattern (4 stores, 2 reads + add) ${s.toolkitTx.toFixed(3)}, the add alone in that transaction ${s.toolkitTxNoReads.toFixed(3)}, ` +
            `with one read beside it ${s.toolkitTxOneRead.toFixed(3)}, the optimistic batch's pattern (2 reads beside the add) ${s.toolkitTxOptimistic.toFixed(3)}, ` +
            `the same on native IndexedDB ${s.nativeOptimistic.toFixed(3)}, in a Dexie transaction ${s.dexieTxNativeRequests.toFixed(3)}, toolkit append() ${t.times[t.times.length >> 1].toFixed(3)}`,
        );
      }
    if (argv.includes('--single')) argv.push('--entries', '--skip-node'); // nothing more
    if (!argv.includes('--entries'))
      for (let i = 0; i < 2; i++) {
        const c = await bench('diagConcurrent', { count: 1000 });
        const t = await bench('concurrent', { kind: 'toolkit', name: `diag-conc-${i}`, count: 1000, warm: 10, seed: 3 });
        const r = await bench('concurrent', { kind: 'raw', name: `diag-concr-${i}`, count: 1000, warm: 10, seed: 3 });
        log(
          `1000 events, ms: toolkit concurrent appends ${t.ms.toFixed(0)}; raw sequential transactions ${r.ms.toFixed(0)}; ` +
            `1000 concurrent Comlink round trips ${c.comlink1000ConcurrentRoundTrips.toFixed(0)}; one tx, 1000 awaited adds of 1-event records ${c.oneTxAwaitedAdds.toFixed(0)}; ` +
            `one tx bulkAdd of the same 1000 records ${c.oneTxBulkAdd.toFixed(0)}; one packed record ${c.onePackedRecord.toFixed(0)}`,
        );
      }

    if (!argv.includes('--entries')) {
      const LOG = 'diag-log-100k';
      const b = await bench('buildLog', { name: LOG, count: 100000, tail: 500, batch: 1000, snapshotEvery: 1000, seed: 31 });
      log(`built ${LOG}: head ${b.head} in ${(b.ms / 1000).toFixed(1)} s`);
      for (let i = 0; i < 3; i++) {
        const p = await bench('diagClPage', { name: LOG });
        log(
          `walkClient's first page on the 'cl' index, newest first: limit 64 → ${p.page64.records} records / ${p.page64.events} events in ${p.page64.ms.toFixed(1)} ms; ` +
            `limit 1 → ${p.page1.events} events in ${p.page1.ms.toFixed(1)} ms`,
        );
      }

      const cdp = await context.newCDPSession(page);
      await cdp.send('Profiler.enable');
      await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
      const profiled = async (label, cmd, args) => {
        await cdp.send('Profiler.start');
        const r = await bench(cmd, args);
        const { profile } = await cdp.send('Profiler.stop');
        const s = summarize(profile);
        log(
          `CPU profile, in-process engine on the main thread: ${label} → ${JSON.stringify(r)}; sampled ${s.totalMs.toFixed(0)} ms; top self time:\n${s.rows.join('\n')}`,
        );
      };
      await profiled('boot of the 100k log (snapshots on)', 'inProcess', { name: LOG, op: 'none', count: 0, seed: 1 });
      await profiled('10 × (append + undo) on the 100k log', 'inProcess', { name: LOG, op: 'undo', count: 10, seed: 7 });
      await profiled('200 single appends, fresh db', 'inProcess', { name: 'diag-prof-single', op: 'single', count: 200, seed: 8 });
      await profiled('1000 concurrent appends, fresh db', 'inProcess', { name: 'diag-prof-conc', op: 'concurrent', count: 1000, seed: 9 });
    }
  } finally {
    await context.close();
    http.close();
    await rm(profileDir, { recursive: true, force: true });
    await rm(outDir, { recursive: true, force: true });
  }
}

if (!argv.includes('--skip-node')) {
  const dir = await mkdtemp(join(tmpdir(), 'eventloom-diag-cpuprof-'));
  try {
    const { stdout } = await execFile(
      process.execPath,
      ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--cpu-prof-interval=200', join(here, 'node/push-profile.mjs'), '20000'],
      { cwd: root },
    );
    const file = (await readdir(dir)).find((f) => f.endsWith('.cpuprofile'));
    const s = summarize(JSON.parse(await readFile(join(dir, file), 'utf8')), 25);
    log(
      `server.push.sqlite, one process (client + server): ${stdout.trim()}; sampled ${s.totalMs.toFixed(0)} ms; top self time:\n${s.rows.join('\n')}`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
process.exit();
