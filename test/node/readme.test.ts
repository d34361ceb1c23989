import 'fake-indexeddb/auto';
import { readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runLogged, wantedLogs } from '../support/docBlocks.ts';

// README's quick start is run as written: each `console.log(...); // → a, b` line must log
// exactly those values, in order (the convention of test/support/docBlocks.ts).
const root = fileURLToPath(new URL('../../', import.meta.url));
const readme = readFileSync(`${root}README.md`, 'utf8');
const block = /<!-- The block below is run[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)?.[1];
const file = `${root}test/node/.readme-quickstart.generated.ts`;

afterAll(() => rmSync(file, { force: true }));

describe('README', () => {
  it('runs the quick start and logs what its comments say', async () => {
    expect(block).toBeDefined();
    const wanted = wantedLogs(block!);
    const logged = await runLogged(block!, file);
    expect(wanted.length).toBeGreaterThan(5);
    expect(logged).toEqual(wanted);
  });
});
