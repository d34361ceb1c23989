/**
 * Test support: code blocks of README.md and docs/*.md run as written. A block is an ES
 * module that imports the package by name ('eventloom', 'eventloom/server', …: in this
 * repository the `eventloom-source` condition resolves them to src/). It is written to a file
 * and imported with console.log captured, and each `console.log(...); // → a, b` line must log
 * exactly those values, in order (the text after `// →`, split at top-level commas and
 * evaluated as JavaScript; a trailing `(…)` is a remark). A block that throws, or logs
 * anything else, fails.
 *
 * Used by test/node/readme.test.ts (README's quick start) and test/node/docsBlocks.test.ts
 * (every block marked `<!-- runnable -->`; CONTRIBUTING.md, "Runnable examples").
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { vi } from 'vitest';

/** The marker, alone on the line before a ```ts fence, of a block that test/node/docsBlocks.test.ts runs. */
const RUNNABLE = '<!-- runnable -->';

interface DocBlock {
  /** The line of the opening fence (1-based). */
  readonly line: number;
  readonly code: string;
}

/** The blocks of a markdown text marked with RUNNABLE; a marker not followed by a ```ts block throws. */
export function runnableBlocks(markdown: string, file: string): DocBlock[] {
  const lines = markdown.split('\n');
  const blocks: DocBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]!.trim() !== RUNNABLE) continue;
    if (lines[i + 1] !== '```ts') throw new Error(`${file}:${i + 1}: ${RUNNABLE} must be followed by a \`\`\`ts block`);
    const end = lines.indexOf('```', i + 2);
    if (end < 0) throw new Error(`${file}:${i + 2}: the block never ends`);
    blocks.push({ line: i + 2, code: `${lines.slice(i + 2, end).join('\n')}\n` });
  }
  return blocks;
}

/**
 * The values a `// → a, b` comment names: split at commas outside brackets and strings, then
 * evaluated. A parenthesised remark after the values (`// → true (why)`) is left out.
 */
function expectedValues(line: string): unknown[] {
  const comment = line.split('// →')[1]!.trim();
  const parts: string[] = [];
  let depth = 0;
  let quote: string | undefined;
  let current = '';
  for (let i = 0; i < comment.length; i++) {
    const ch = comment[i]!;
    if (quote) {
      current += ch;
      if (ch === '\\') current += comment[++i] ?? '';
      else if (ch === quote) quote = undefined;
      continue;
    }
    if (depth === 0 && ch === '(' && /\s$/.test(current)) break; // the remark
    if ('\'"`'.includes(ch)) quote = ch;
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

/** What a block must log: the values of each `console.log(...) // → …` line, in order. */
export function wantedLogs(code: string): unknown[][] {
  return code
    .split('\n')
    .filter((l) => l.includes('console.log') && l.includes('// →'))
    .map(expectedValues);
}

/** Writes `code` to `file` and imports it, capturing console.log: resolves with what it logged (each call's arguments). */
export async function runLogged(code: string, file: string): Promise<unknown[][]> {
  const logged: unknown[][] = [];
  const spy = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void logged.push(args));
  try {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, code);
    await import(/* @vite-ignore */ file);
  } finally {
    spy.mockRestore();
  }
  return logged;
}
