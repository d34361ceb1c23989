/**
 * docs/server-storage.md cannot drift: its example storage (a block written only against the
 * package's exports) runs the conformance suite through its own Vitest block, the README shows
 * that same block, and the number of checks the page states is the suite's.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { memoryStorage } from '../../../src/server/memoryStorage.ts';
import { storageConformance } from '../../../src/server/conformance.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const MARK = /<!-- Checked: test\/node\/server\/storageDocs\.test\.ts[\s\S]*?-->\n```ts\n([\s\S]*?)```/g;
const blocks = (file: string): string[] => [...readFileSync(`${root}${file}`, 'utf8').matchAll(MARK)].map((m) => m[1]!);
const page = readFileSync(`${root}docs/server-storage.md`, 'utf8');
const [storageBlock, testBlock] = blocks('docs/server-storage.md');
const dir = `${root}test/node/server/.storage-docs.generated/`;
/** The blocks import the package by name; here its entries are the sources, by path (as storage.test.ts). */
const fromSource = (code: string): string =>
  code
    .replaceAll("'eventloom/server/conformance'", `'${root}src/server/conformance.ts'`)
    .replaceAll("'eventloom/server'", `'${root}src/server/index.ts'`);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('docs/server-storage.md', () => {
  it('has the example storage and its test, and README shows the same test', () => {
    expect(storageBlock).toMatch(/export function mapStorage\(\): SyncStorage/);
    expect(testBlock).toMatch(/storageConformance\(make\)/);
    expect(blocks('README.md')).toEqual([testBlock]);
  });

  it('states the number of checks the suite has', () => {
    const stated = Number(/returns the (\d+) checks/.exec(page)?.[1]);
    expect(stated).toBe(storageConformance(() => ({ storage: memoryStorage() })).length);
  });
});

// The page's two blocks as the files they name; the test block's `it`s join this file's.
mkdirSync(dir, { recursive: true });
writeFileSync(`${dir}mapStorage.ts`, fromSource(storageBlock ?? ''));
writeFileSync(`${dir}mapStorage.check.ts`, fromSource(testBlock ?? ''));
await import(/* @vite-ignore */ `${dir}mapStorage.check.ts`);
