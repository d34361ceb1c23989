import 'fake-indexeddb/auto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';

// README's quick start is run as written: each `console.log(...); // → a, b` line must log
// exactly those values (in order; "then" separates later calls of the same line).
const root = fileURLToPath(new URL('../../', import.meta.url));
const readme = readFileSync(`${root}README.md`, 'utf8');
const block = /<!-- The block below is run[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)?.[1];
const file = `${root}test/node/.readme-quickstart.generated.ts`;

afterAll(() => rmSync(file, { force: true }));

/** The values a `// → a, b` comment names: split at top-level commas, then evaluated. */
function expected(line: string): unknown[] {
  const comment = line
    .split('// →')[1]!
    .replace(/\(.*\)\s*$/, '')
    .trim();
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of comment) {
    if ('[{('.includes(ch)) depth++;
    if (']})'.includes(ch)) depth--;
    if (ch === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  parts.push(current);
  return parts.map((source) => new Function(`return (${source.trim()});`)());
}

describe('README', () => {
  it('runs the quick start and logs what its comments say', async () => {
    expect(block).toBeDefined();
    const lines = block!.split('\n');
    const wanted = lines.filter((l) => l.includes('console.log') && l.includes('// →')).map(expected);
    const logged: unknown[][] = [];
    const spy = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void logged.push(args));
    try {
      writeFileSync(file, block!);
      await import(/* @vite-ignore */ file);
    } finally {
      spy.mockRestore();
    }
    expect(wanted.length).toBeGreaterThan(5);
    expect(logged).toEqual(wanted);
  });
});
