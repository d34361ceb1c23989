#!/usr/bin/env node
// `npm test`: runs `npm run lint` first (scripts/lint.mjs: formatting, lint rules, import
// layers, unused code, file length) and stops if it fails; then provides the real parts the
// suites need on a fresh machine, and runs every Vitest project (node + real Chromium) with
// nothing skipped.
// Chromium: $CHROMIUM_PATH, else Playwright's own browser if installed, else
// /usr/bin/chromium, else Debian's package (as root), else fail saying how to get one.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright';

// The rules first: they take seconds, the suites minutes.
const lint = spawnSync(process.execPath, ['scripts/lint.mjs'], { stdio: 'inherit' });
if (lint.status !== 0) {
  console.error('\n[test] `npm run lint` failed (above: which check, how to run it alone and how to fix it); the test suites did not run.');
  process.exit(1);
}

function findChromium() {
  const candidates = [process.env.CHROMIUM_PATH, safe(() => chromium.executablePath()), '/usr/bin/chromium', '/usr/bin/chromium-browser'];
  return candidates.find((p) => p && existsSync(p));
}

function safe(fn) {
  try {
    return fn();
  } catch {
    return undefined;
  }
}

function installChromium() {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot || !existsSync('/usr/bin/apt-get')) return;
  console.log("[test] no Chromium found: installing Debian's chromium package (apt-get)…");
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  spawnSync('apt-get', ['install', '-y', '-qq', 'chromium'], { stdio: 'inherit', env });
}

let browser = findChromium();
if (!browser) {
  installChromium();
  browser = findChromium();
}
if (!browser) {
  console.error(
    '[test] No Chromium found. Set CHROMIUM_PATH, or install one: `npx playwright install chromium`, or on Debian `apt-get install chromium`.',
  );
  process.exit(1);
}
console.log(`[test] Chromium: ${browser}`);

// Vitest's own summary, plus a JSON report for the plain closing line CI reads.
const report = join(mkdtempSync(join(tmpdir(), 'eventloom-test-')), 'report.json');
const args = ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...process.argv.slice(2)];
const result = spawnSync('npx', args, { stdio: 'inherit', env: { ...process.env, CHROMIUM_PATH: browser } });
let failed = false;
try {
  const { numPassedTests, numFailedTests, numPendingTests, numFailedTestSuites, success } = JSON.parse(readFileSync(report, 'utf8'));
  console.log(`\ntests: ${numPassedTests} passed, ${numFailedTests} failed, ${numPendingTests} skipped`);
  // The report decides as well as the exit code: a library's exit hook once turned Vitest's 1 into 0.
  failed = numFailedTests > 0 || numFailedTestSuites > 0 || success === false;
} catch {
  // no report (vitest failed before running): its exit code says enough
}
process.exit(failed ? 1 : (result.status ?? 1));
