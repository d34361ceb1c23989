#!/usr/bin/env node
// `npm run lint:deps`: the import rules of .dependency-cruiser.cjs (layers, cycles, packages)
// over src/. Exits 1 on any violation, listing each with the rule's explanation.
// dependency-cruiser reads TypeScript through the compiler API, which TypeScript 7 no longer
// has: scripts/lint-typescript6.mjs hands it TypeScript 6 (see there).
import { installTypeScript6 } from './lint-typescript6.mjs';

installTypeScript6();
const { cruise, getAvailableTranspilers } = await import('dependency-cruiser');
const { default: extractDepcruiseOptions } = await import('dependency-cruiser/config-utl/extract-depcruise-options');
const { default: extractTSConfig } = await import('dependency-cruiser/config-utl/extract-ts-config');

// Without a TypeScript it can use, dependency-cruiser would read .ts files as plain JavaScript
// and find no imports at all: a silent pass. Refuse instead.
const typescript = getAvailableTranspilers().find((t) => t.name === 'typescript');
if (!typescript?.available) {
  console.error('lint:deps: dependency-cruiser found no usable TypeScript (TypeScript 6 is in scripts/mutation/typescript: run `npm ci`).');
  process.exit(2);
}

const options = await extractDepcruiseOptions('./.dependency-cruiser.cjs');
const cruised = await cruise(['src'], options, {}, { tsConfig: extractTSConfig('tsconfig.json') });

// The same silent pass, seen from the result: .ts files read as JavaScript yield no imports.
const { summary } = cruised.output;
if (summary.totalCruised === 0 || summary.totalDependenciesCruised === 0) {
  console.error(
    `lint:deps: ${summary.totalCruised} modules and ${summary.totalDependenciesCruised} imports found in src/: the parser is not reading the sources.`,
  );
  process.exit(2);
}

const { violations } = summary;
if (violations.length === 0) {
  console.log(
    `lint:deps: no violations (${summary.totalCruised} modules, ${summary.totalDependenciesCruised} imports, ${summary.ruleSetUsed.forbidden.length} rules)`,
  );
  process.exit(0);
}

// Grouped by rule, with its explanation; a cycle once, as its whole path.
const comments = new Map(summary.ruleSetUsed.forbidden.map((rule) => [rule.name, rule.comment]));
const arrow = (types) => (types.includes('type-only') ? '⇢' : '→');
const byRule = new Map();
for (const v of violations) {
  let line;
  if (v.cycle) {
    // The cycle as seen from v.from, rotated to start at its smallest file so each cycle prints once.
    const steps = [{ name: v.from, dependencyTypes: [] }, ...v.cycle];
    const hops = steps.slice(0, -1).map((step, i) => ({ from: step.name, types: steps[i + 1].dependencyTypes }));
    const start = hops.reduce((best, hop, i) => (hop.from < hops[best].from ? i : best), 0);
    const ring = [...hops.slice(start), ...hops.slice(0, start)];
    line = `${ring.map((hop) => `${hop.from} ${arrow(hop.types)}`).join(' ')} ${ring[0].from}`;
  } else {
    line = `${v.from} ${arrow(v.dependencyTypes)} ${v.to}`;
  }
  if (!byRule.has(v.rule.name)) byRule.set(v.rule.name, new Set());
  byRule.get(v.rule.name).add(line);
}
let count = 0;
for (const [name, lines] of byRule) {
  console.log(`\n${name}: ${comments.get(name) ?? ''}`);
  for (const line of lines) console.log(`  ${line}`);
  count += lines.size;
}
console.log(
  `\nlint:deps: ${count} violation${count === 1 ? '' : 's'} of the import rules in .dependency-cruiser.cjs (→ import, ⇢ import type)`,
);
process.exit(1);
