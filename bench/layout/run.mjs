#!/usr/bin/env node
// IndexedDB layouts for an append-only event log, measured in real Chromium.
//
//   node bench/layout/run.mjs [--runs 5] [--events 20000] [--appends 200] [--json out.json]
//   node bench/layout/run.mjs --streams [--runs 3] [--stream-events 100000] [--batch 1000] [--variants packed,sliced,sliced-noev,sliced-1]
//
// --streams: queries by stream on a log of multi-stream records (see docs/storage.md,
// "Slices"): write time, one stream's events, and 1000 events by position, per layout.
//
// Serves page.html + worker.mjs + Dexie's ESM build on 127.0.0.1 with COOP/COEP headers
// (so performance.now() is fine-grained), launches Chromium with a fresh persistent
// profile (IndexedDB on disk, not the in-memory incognito store), and runs every
// measurement inside a dedicated module worker, interleaving the layouts run by run.
// CHROMIUM_PATH overrides /usr/bin/chromium. See docs/storage.md for the results.
import { createServer } from 'node:http';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir, cpus, totalmem, loadavg } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { chromium } from 'playwright';
import { machineBusy, ownTreeBusy } from '../load.mjs';
import { CHROMIUM_ARGS } from '../../scripts/chromium.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const dexieFile = join(dirname(require.resolve('dexie/package.json')), 'dist', 'dexie.mjs');

const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : dflt;
};
const RUNS = Number(opt('runs', 5));
const EVENTS = Number(opt('events', 20000));
const APPENDS = Number(opt('appends', 200));
const JSON_OUT = opt('json', undefined);
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const started = Date.now();
const log = (msg) => console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s] ${msg}`);

// ---- static server with COOP/COEP -------------------------------------------------
const files = {
  '/': [join(here, 'page.html'), 'text/html; charset=utf-8'],
  '/page.html': [join(here, 'page.html'), 'text/html; charset=utf-8'],
  '/worker.mjs': [join(here, 'worker.mjs'), 'text/javascript; charset=utf-8'],
  '/dexie.mjs': [dexieFile, 'text/javascript; charset=utf-8'],
};
const server = createServer(async (req, res) => {
  const entry = files[new URL(req.url, 'http://x').pathname];
  const headers = {
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Embedder-Policy': 'require-corp',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Cache-Control': 'no-store',
  };
  if (req.url === '/favicon.ico') {
    res.writeHead(204, headers).end();
    return;
  }
  if (!entry) {
    res.writeHead(404, headers).end('not found');
    return;
  }
  res.writeHead(200, { ...headers, 'Content-Type': entry[1] }).end(await readFile(entry[0]));
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const origin = `http://127.0.0.1:${server.address().port}`;

// ---- browser --------------------------------------------------------------------
const profile = await mkdtemp(join(tmpdir(), 'eventloom-layout-'));
let context;
const cleanup = async () => {
  await context?.close().catch(() => {});
  server.close();
  await rm(profile, { recursive: true, force: true }).catch(() => {});
};
process.on('SIGINT', () => cleanup().finally(() => process.exit(130)));

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const stats = (xs) => ({ median: median(xs), min: Math.min(...xs), max: Math.max(...xs), runs: xs });
const rotate = (xs, k) => xs.map((_, i) => xs[(i + k) % xs.length]);

const busyStart = await machineBusy();
const ownStart = await ownTreeBusy();
const wallStart = Date.now();
try {
  log(`profile ${profile}; serving ${origin}`);
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
  });
  const browserVersion =
    context.browser()?.version() ??
    (await (async () => {
      // launchPersistentContext has no Browser object: ask the page instead.
      const p = await context.newPage();
      const v = await p.evaluate(() => navigator.userAgent);
      await p.close();
      return v;
    })());
  const page = context.pages()[0] ?? (await context.newPage());
  // Dexie warns "Dexie.delete('…') was blocked" while a just-closed connection finishes
  // closing; the delete then proceeds. It happens between measurements, so only count it.
  let blockedDeletes = 0;
  page.on('console', (m) => (/was blocked/.test(m.text()) ? blockedDeletes++ : log(`page: ${m.text()}`)));
  page.on('pageerror', (e) => log(`page error: ${e.message}`));
  await page.goto(`${origin}/`);
  await page.evaluate(() => window.benchReady);
  const bench = (cmd, args) => page.evaluate(([c, a]) => window.bench(c, a), [cmd, args]);

  const info = await bench('info', { count: EVENTS });
  if (!info.crossOriginIsolated) log('WARNING: worker is not cross-origin isolated (coarse timer)');
  const machine = {
    chromium: browserVersion,
    userAgent: info.userAgent,
    dexie: info.dexie,
    playwright: require('playwright/package.json').version,
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    memGiB: Math.round(totalmem() / 2 ** 30),
    persistentProfile: true,
    crossOriginIsolated: info.crossOriginIsolated,
    timerStepMs: info.timerStepMs,
    eventBytes: { mean: info.eventBytesMean, min: info.eventBytesMin, max: info.eventBytesMax },
    events: EVENTS,
    runs: RUNS,
    appends: APPENDS,
    loadAvgStart: loadavg()[0],
  };
  log(
    `Chromium ${machine.chromium}, Dexie ${machine.dexie}, ${machine.cpus} CPUs, ` +
      `event ${machine.eventBytes.mean.toFixed(0)} B JSON (${machine.eventBytes.min}–${machine.eventBytes.max}), ` +
      `crossOriginIsolated=${info.crossOriginIsolated}, timer step ${(info.timerStepMs * 1000).toFixed(1)} µs`,
  );
  log(`sample event: ${JSON.stringify(info.sample)}`);

  if (argv.includes('--streams')) {
    // Stream queries on a log of multi-stream records (issue 14): write, then read one stream.
    const variants = (opt('variants') ?? 'packed,sliced').split(',');
    const rows = Object.fromEntries(variants.map((v) => [v, []]));
    for (const v of variants) await bench('streams', { variant: v, run: 'warm', count: 5000, batch: 1000 });
    for (let run = 0; run < RUNS; run++) {
      for (const v of rotate(variants, run)) {
        const r = await bench('streams', {
          variant: v,
          run,
          count: Number(opt('stream-events', 100000)),
          batch: Number(opt('batch', 1000)),
        });
        rows[v].push(r);
        log(
          `run ${run + 1} ${v.padEnd(7)}: write ${r.writeMs.toFixed(0)} ms; stream (${r.streamEvents} events) ${r.streamMs.toFixed(2)} ms; 1000 by position ${r.posMs.toFixed(2)} ms`,
        );
      }
    }
    for (const v of variants) {
      const m = (k) => median(rows[v].map((r) => r[k]));
      console.log(
        `${v}: write ${m('writeMs').toFixed(0)} ms, stream ${m('streamMs').toFixed(2)} ms, position ${m('posMs').toFixed(2)} ms, ratio ${(m('streamMs') / m('posMs')).toFixed(2)}`,
      );
    }
    process.exit(0);
  }
  // one/p100/p1000 are the compared layouts; the -noidx pair only splits their cost
  // into per-record and per-index-entry parts (same records, no secondary index).
  const BULK = ['one', 'p100', 'p1000', 'one-noidx', 'p100-noidx'];
  const SINGLE = ['one', 'packed'];
  const bulk = Object.fromEntries(BULK.map((l) => [l, []]));
  const single = Object.fromEntries(SINGLE.map((l) => [l, []]));

  // Warm-up (not recorded): JIT, IndexedDB backing store creation.
  log('warm-up');
  for (const layout of BULK) await bench('bulk', { layout, run: 'warm', count: 2000 });
  for (const layout of SINGLE) await bench('single', { layout, run: 'warm', count: 20 });

  for (let run = 0; run < RUNS; run++) {
    for (const layout of rotate(BULK, run)) {
      const r = await bench('bulk', { layout, run, count: EVENTS });
      bulk[layout].push(r);
      log(
        `run ${run + 1}/${RUNS} bulk ${layout.padEnd(5)}: write ${r.writeMs.toFixed(1)} ms (${r.records} records), ` +
          `reopen ${r.openMs.toFixed(1)} ms, toArray ${r.readMs.toFixed(1)} ms, unpack ${r.unpackMs.toFixed(1)} ms`,
      );
    }
    for (const layout of rotate(SINGLE, run)) {
      const r = await bench('single', { layout, run, count: APPENDS });
      single[layout].push(r);
      log(
        `run ${run + 1}/${RUNS} single ${layout.padEnd(6)}: p50 ${r.p50.toFixed(3)} ms, p90 ${r.p90.toFixed(3)} ms, ` +
          `max ${r.max.toFixed(2)} ms`,
      );
    }
  }
  machine.loadAvgEnd = loadavg()[0];
  const busyEnd = await machineBusy();
  const ownEnd = await ownTreeBusy();
  if (busyStart !== undefined && ownEnd !== undefined) {
    const wall = (Date.now() - wallStart) / 1000;
    const others = Math.max(0, busyEnd - busyStart - (ownEnd - ownStart));
    // Share of the machine's CPUs that processes outside this benchmark used (0–100 %).
    machine.otherCpuPercent = Math.round((100 * others) / (wall * cpus().length));
    machine.ownCpuPercent = Math.round((100 * (ownEnd - ownStart)) / (wall * cpus().length));
  }
  machine.durability = `Dexie default (no chromeTransactionDurability); IDBTransaction.durability = '${await bench('durability')}'`;

  const summary = {
    machine,
    bulk: Object.fromEntries(
      BULK.map((l) => [
        l,
        {
          records: bulk[l][0].records,
          recordJsonBytes: bulk[l][0].recordBytes,
          indexEntries: bulk[l][0].indexEntries,
          writeMs: stats(bulk[l].map((r) => r.writeMs)),
          reopenMs: stats(bulk[l].map((r) => r.openMs)),
          toArrayMs: stats(bulk[l].map((r) => r.readMs)),
          unpackMs: stats(bulk[l].map((r) => r.unpackMs)),
        },
      ]),
    ),
    single: Object.fromEntries(
      SINGLE.map((l) => [
        l,
        {
          p50Ms: stats(single[l].map((r) => r.p50)),
          p90Ms: stats(single[l].map((r) => r.p90)),
        },
      ]),
    ),
  };

  const f = (s, d = 1) => `${s.median.toFixed(d)} (${s.min.toFixed(d)}–${s.max.toFixed(d)})`;
  const names = {
    one: '1 record / event (indexes stream, type)',
    p100: '100 events / record (toolkit schema)',
    p1000: '1000 events / record (toolkit schema)',
    'one-noidx': 'extra: 1 record / event, no index',
    'p100-noidx': 'extra: 100 events / record, no index',
  };
  console.log('\n== Results: median (min–max) over', RUNS, 'interleaved runs, ms ==');
  console.log(
    `machine: Chromium ${machine.chromium}, Dexie ${machine.dexie}, ${machine.cpus} CPUs (${machine.cpuModel}), ` +
      `persistent profile, ${machine.durability}, event ≈ ${machine.eventBytes.mean.toFixed(0)} B JSON, ` +
      `crossOriginIsolated=${machine.crossOriginIsolated}, load average ${machine.loadAvgStart.toFixed(2)} → ${machine.loadAvgEnd.toFixed(2)}, ` +
      `CPU used by this benchmark ${machine.ownCpuPercent ?? '?'} %, by other processes ${machine.otherCpuPercent ?? '?'} % of ${machine.cpus} CPUs`,
  );
  if ((machine.otherCpuPercent ?? 0) > 10)
    console.log('NOTE: other processes were busy during the run: compare ratios within this run only.');
  console.log(
    `\n| layout (${EVENTS} events) | records | index entries | record JSON B | bulkAdd (1 tx) | reopen | toArray | unpack to events |`,
  );
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const l of BULK) {
    const b = summary.bulk[l];
    console.log(
      `| ${names[l]} | ${b.records} | ${b.indexEntries} | ${b.recordJsonBytes} | ${f(b.writeMs)} | ${f(b.reopenMs)} | ${f(b.toArrayMs)} | ${f(b.unpackMs)} |`,
    );
  }
  console.log(`\n| ${APPENDS} one-event transactions | p50 | p90 |`);
  console.log('| --- | ---: | ---: |');
  console.log(`| 1 record / event (indexes stream, type) | ${f(summary.single.one.p50Ms, 3)} | ${f(summary.single.one.p90Ms, 3)} |`);
  console.log(
    `| packed record holding 1 event (*sk, *tk, *ck, *cl, minTime, pending) | ${f(summary.single.packed.p50Ms, 3)} | ${f(summary.single.packed.p90Ms, 3)} |`,
  );

  if (JSON_OUT) {
    await writeFile(JSON_OUT, JSON.stringify(summary, null, 2));
    log(`wrote ${JSON_OUT}`);
  }
  log(`done (${blockedDeletes} cleanup deletes waited for a closing connection)`);
} catch (error) {
  console.error(error);
  process.exitCode = 1;
} finally {
  await cleanup();
}
