/**
 * Every code block of README.md and docs/*.md marked `<!-- runnable -->` runs as written
 * (test/support/docBlocks.ts): it must assert something (a `// →` line, or a check that
 * throws), and it fails when it throws or logs anything its `// →` comments do not say. Each
 * block starts with no database: the ones a block leaves are deleted after it.
 */
import 'fake-indexeddb/auto';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { runLogged, runnableBlocks, wantedLogs } from '../support/docBlocks.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const dir = `${root}test/node/.docs-blocks.generated/`;
const pages = [
  'README.md',
  ...readdirSync(`${root}docs`)
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];
const blocks = pages.flatMap((page) => runnableBlocks(readFileSync(`${root}${page}`, 'utf8'), page).map((block) => ({ page, ...block })));

afterEach(async () => {
  for (const { name } of await indexedDB.databases()) {
    if (name === undefined) continue;
    await new Promise((resolve, reject) => {
      const request = indexedDB.deleteDatabase(name);
      request.onsuccess = resolve;
      request.onerror = () => reject(request.error);
    });
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('runnable blocks of the docs', () => {
  it('the guides have theirs', () => {
    const marked = new Set(blocks.map((b) => b.page));
    for (const page of ['docs/concepts.md', 'docs/undo.md', 'docs/schema-evolution.md', 'docs/sync-ui.md', 'docs/local-data.md'])
      expect(marked, page).toContain(page);
  });

  for (const { page, line, code } of blocks) {
    it(`${page}:${line}`, async () => {
      const wanted = wantedLogs(code);
      expect(wanted.length > 0 || /\bthrow\b/.test(code), 'a runnable block asserts something: a `// →` line or a check that throws').toBe(
        true,
      );
      const file = `${dir}${page.replace(/[^\w]/g, '_')}_${line}.ts`;
      expect(await runLogged(code, file)).toEqual(wanted);
    });
  }
});
