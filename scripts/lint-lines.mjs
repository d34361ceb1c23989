#!/usr/bin/env node
// `npm run lint:lines`: no source file in src/ over 400 lines (STYLE.md: "files past ~400 lines
// that do several jobs"). Lists the offenders, longest first, and exits 1 if there are any.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const MAX_LINES = 400;
const SOURCE = /\.(ts|tsx|js|mjs|cjs)$/;

const offenders = readdirSync('src', { recursive: true, withFileTypes: true })
  .filter((entry) => entry.isFile() && SOURCE.test(entry.name))
  .map((entry) => {
    const path = join(entry.parentPath ?? entry.path, entry.name);
    const text = readFileSync(path, 'utf8');
    return { path, lines: text.split('\n').length - (text.endsWith('\n') ? 1 : 0) };
  })
  .filter((file) => file.lines > MAX_LINES)
  .sort((a, b) => b.lines - a.lines);

if (offenders.length === 0) {
  console.log(`lint:lines: every file in src/ has at most ${MAX_LINES} lines`);
} else {
  for (const { path, lines } of offenders) console.log(`  ${path}: ${lines} lines`);
  console.log(
    `lint:lines: ${offenders.length} file${offenders.length === 1 ? '' : 's'} in src/ over ${MAX_LINES} lines: split each by job`,
  );
  process.exit(1);
}
