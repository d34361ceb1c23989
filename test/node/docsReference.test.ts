/**
 * docs/reference/ is generated from the types and doc comments of src/ (scripts/apidocs.mjs,
 * TypeDoc on TypeScript 6): a change to an exported type or its comment without
 * `npm run docs:api` fails here. The pages are made again in a scratch folder and compared,
 * file by file, with the committed ones.
 */
import { execFile as execFileCb } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const execFile = promisify(execFileCb);
const root = fileURLToPath(new URL('../../', import.meta.url));
const committed = join(root, 'docs', 'reference');
const scratch = mkdtempSync(join(tmpdir(), 'eventloom-reference-'));
const generated = join(scratch, 'reference');

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Every file below dir, by its path relative to dir, with its text. */
function pages(dir: string): Map<string, string> {
  const files = readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
  return new Map(
    files
      .map((e) => relative(dir, join(e.parentPath, e.name)).replaceAll('\\', '/'))
      .sort()
      .map((path) => [path, readFileSync(join(dir, path), 'utf8')]),
  );
}

describe('docs/reference (generated API reference)', () => {
  it('is what `npm run docs:api` makes of the sources now', { timeout: 60_000 }, async () => {
    await execFile(process.execPath, [join(root, 'scripts', 'apidocs.mjs'), generated], { cwd: root, maxBuffer: 16 << 20 });
    const want = pages(generated);
    const have = pages(committed);
    expect(want.size).toBeGreaterThanOrEqual(7); // the index and one page per entry point
    const differ = [...new Set([...want.keys(), ...have.keys()])]
      .filter((path) => want.get(path) !== have.get(path))
      .map((path) => `docs/reference/${path}${have.has(path) ? (want.has(path) ? '' : ' (no longer generated)') : ' (missing)'}`);
    expect(differ, 'docs/reference/ is out of date with src/: run `npm run docs:api` and commit docs/reference/').toEqual([]);
  });
});
