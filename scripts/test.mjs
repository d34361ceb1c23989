#!/usr/bin/env node
// `npm test`: runs `npm run lint` first (scripts/lint.mjs: formatting, lint rules, import
// layers, unused code, file length) and stops if it fails; then provides the real parts the
// suites need on a fresh machine, and runs every Vitest project (node, real Chromium, Firefox and WebKit) with
// nothing skipped.
// Browsers (scripts/engines.mjs): Chromium ($CHROMIUM_PATH, Playwright's, /usr/bin/chromium),
// Firefox ($FIREFOX_PATH, /usr/bin/firefox-esr) and WebKitGTK (MiniBrowser with WebKitWebDriver
// and xvfb-run); missing ones from Debian's packages as root, else fail saying how to get them.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { provideEngines } from './engines.mjs';

// The rules first: they take seconds, the suites minutes.
const lint = spawnSync(process.execPath, ['scripts/lint.mjs'], { stdio: 'inherit' });
if (lint.status !== 0) {
  console.error('\n[test] `npm run lint` failed (above: which check, how to run it alone and how to fix it); the test suites did not run.');
  process.exit(1);
}

// The browsers: Chromium for the browser and end-to-end suites, and Firefox and WebKit too for
// the cross-engine suite (test/engines); as root on Debian the missing ones are installed.
const { found, missing } = provideEngines();
if (missing.length > 0) {
  for (const { name, how } of missing) console.error(`[test] No ${name} found: ${how}.`);
  console.error('[test] Every suite runs in real browsers and none is skipped: install the browsers above, then run `npm test` again.');
  process.exit(1);
}
for (const [name, path] of Object.entries(found)) console.log(`[test] ${name}: ${path}`);

// Vitest's own summary, plus a JSON report for the plain closing line CI reads.
const report = join(mkdtempSync(join(tmpdir(), 'eventloom-test-')), 'report.json');
const args = ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...process.argv.slice(2)];
const result = spawnSync('npx', args, { stdio: 'inherit', env: { ...process.env, CHROMIUM_PATH: found.chromium } });
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
