#!/usr/bin/env node
// `npm run lint` (and the first step of `npm test`): the rules that keep the house (STYLE.md
// item 16). Runs every check at once, prints each one's findings, then which failed and how to
// run or fix each. Exits 1 if any check found anything.
//
//   biome   formatting and lint rules (biome.jsonc), over src, test, demo, bench, scripts
//   deps    layers, cycles and packages of src/ (.dependency-cruiser.cjs)
//   unused  unused files, exports and dependencies (knip.jsonc)
//   types   strict TypeScript (tsconfig.json), the tests and the demo included
//   lines   no file in src/ over 400 lines
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const bin = (name) => join('node_modules', '.bin', name);
const scratch = mkdtempSync(join(tmpdir(), 'eventloom-lint-'));
const biomeJson = join(scratch, 'biome.json');

/** Biome's JSON report as one line per finding (its own output shows each with a diff: too long here). */
function biomeReport() {
  const { diagnostics } = JSON.parse(readFileSync(biomeJson, 'utf8'));
  const where = (d) => `${d.location?.path ?? '?'}${d.location?.start ? `:${d.location.start.line}:${d.location.start.column}` : ''}`;
  const unformatted = [...new Set(diagnostics.filter((d) => d.category === 'format').map((d) => d.location?.path))];
  const others = diagnostics
    .filter((d) => d.category !== 'format')
    .sort((a, b) => where(a).localeCompare(where(b), 'en', { numeric: true }));
  const lines = others.map((d) => `  ${where(d)} ${d.category} (${d.severity}): ${d.message}`);
  if (unformatted.length > 0) {
    const shown = unformatted.slice(0, 10).join(', ');
    lines.push(`  ${unformatted.length} file(s) differ from the formatter: ${shown}${unformatted.length > 10 ? ', …' : ''}`);
  }
  const findings = [
    unformatted.length > 0 && `${unformatted.length} file(s) to format`,
    others.length > 0 && `${others.length} lint finding(s)`,
  ];
  return { text: lines.join('\n'), findings: findings.filter(Boolean) };
}

const CHECKS = [
  {
    name: 'biome',
    what: 'formatting and lint rules (biome.jsonc)',
    command: [
      bin('biome'),
      'ci',
      '--error-on-warnings',
      `--colors=${process.stdout.isTTY ? 'force' : 'off'}`,
      '--reporter=json',
      `--reporter-file=${biomeJson}`,
      '.',
    ],
    run: 'npx biome ci --error-on-warnings .',
    fix: 'npx biome format --write . (formatting); npx biome check --write . (formatting and the safe lint fixes); the rest by hand',
    // `biome ci` fails on errors and (with --error-on-warnings) warnings but not on infos: the
    // report counts them all.
    report: biomeReport,
  },
  {
    name: 'deps',
    what: 'layers, cycles and packages of src/ (.dependency-cruiser.cjs)',
    command: [process.execPath, 'scripts/lint-deps.mjs'],
    run: 'node scripts/lint-deps.mjs',
    fix: 'move the import to a layer that may have it, or the shared code down a layer; the layers are listed at the top of .dependency-cruiser.cjs',
  },
  {
    name: 'unused',
    what: 'unused files, exports and dependencies (knip.jsonc)',
    command: [bin('knip'), '--no-progress'],
    run: 'npx knip',
    fix: 'delete what has no user, or drop its `export` if only its own file uses it',
  },
  {
    name: 'types',
    what: 'strict TypeScript over src, test, demo, bench and scripts (tsconfig.json)',
    command: [bin('tsc'), '--noEmit', '-p', 'tsconfig.json', '--pretty', process.stdout.isTTY ? 'true' : 'false'],
    run: 'npm run typecheck',
    fix: 'fix the types the compiler names; a library typed wrongly gets a cast with a comment saying why',
  },
  {
    name: 'lines',
    what: 'no file in src/ over 400 lines',
    command: [process.execPath, 'scripts/lint-lines.mjs'],
    run: 'node scripts/lint-lines.mjs',
    fix: 'split the file by job',
  },
];

function run(check) {
  return new Promise((resolve) => {
    const started = performance.now();
    const env = process.stdout.isTTY ? { ...process.env, FORCE_COLOR: '1' } : process.env;
    const child = spawn(check.command[0], check.command.slice(1), { env });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', (error) => resolve({ check, code: 1, output: `${output}${error.message}\n`, ms: 0 }));
    child.on('close', (code) => resolve({ check, code, output, ms: performance.now() - started }));
  });
}

const results = await Promise.all(CHECKS.map(run));
for (const result of results) {
  result.findings = [];
  if (result.check.report) {
    try {
      const { text, findings } = result.check.report();
      result.findings = findings;
      // A report that explains the failure replaces the tool's own output.
      if (text || result.code === 0) result.output = text;
    } catch {
      // no report (the tool failed before writing one): its own output says why
    }
  }
  result.failed = result.code !== 0 || result.findings.length > 0;
}
rmSync(scratch, { recursive: true, force: true });

for (const { check, output, failed, ms } of results) {
  console.log(`\n── lint: ${check.name}, ${check.what}: ${failed ? 'FAILED' : 'ok'} (${(ms / 1000).toFixed(1)} s)`);
  if (failed && output.trim()) console.log(output.trimEnd());
}

const failed = results.filter((r) => r.failed);
if (failed.length === 0) {
  console.log(`\nlint: all ${results.length} checks passed (${CHECKS.map((c) => c.name).join(', ')})`);
  process.exit(0);
}
console.log(`\nlint: ${failed.length} of ${results.length} checks failed:`);
for (const { check, findings } of failed) {
  console.log(`  ✗ ${check.name}: ${check.what}${findings.length > 0 ? `: ${findings.join(', ')}` : ''}`);
  console.log(`      run it alone: ${check.run}`);
  console.log(`      fix: ${check.fix}`);
}
process.exit(1);
