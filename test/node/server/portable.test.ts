// DESIGN "The package": createSyncApp with memory (or your own) storage loads no Node-only
// module, and the database drivers are optional peers, loaded only by their storages.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type Rollup } from 'vite';
import { describe, expect, it } from 'vitest';
import { createSyncApp } from '../../../src/server/index.ts';
import { loadDriver } from '../../../src/server/driver.ts';

const root = join(import.meta.dirname, '..', '..', '..');

describe('createSyncApp on a runtime without Node', () => {
  it('bundles for the browser with nothing external and answers a pull', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'eventloom-portable-'));
    try {
      const entry = join(dir, 'entry.js');
      await writeFile(
        entry,
        `import { createSyncApp, memoryStorage } from ${JSON.stringify(join(root, 'src/server/index.ts'))};\nexport const app = createSyncApp({ storage: memoryStorage() });\n`,
      );
      const out = (await build({
        configFile: false,
        logLevel: 'silent',
        root: dir,
        build: {
          write: false,
          minify: false,
          target: 'es2022',
          rollupOptions: { input: entry, preserveEntrySignatures: 'exports-only', output: { format: 'es' } },
        },
      })) as Rollup.RollupOutput | Rollup.RollupOutput[];
      const chunks = (Array.isArray(out) ? out : [out]).flatMap((o) => o.output).filter((c): c is Rollup.OutputChunk => c.type === 'chunk');
      expect(chunks).toHaveLength(1);
      const code = chunks[0]!.code;
      // Nothing left to import: no Node built-in, no driver, no Node HTTP adapter.
      expect(code).not.toMatch(/^\s*import\s/m);
      for (const name of ['node:', 'better-sqlite3', "'pg'", '@hono/node-server', 'createRequire']) expect(code, name).not.toContain(name);
      const file = join(dir, 'bundle.mjs');
      await writeFile(file, code);
      const { app } = (await import(pathToFileURL(file).href)) as { app: { fetch(request: Request): Promise<Response> } };
      const response = await app.fetch(new Request('http://127.0.0.1/v1/logs/demo/events?after=0'));
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ events: [], head: 0 });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('asks for a storage: there is no default to load', () => {
    expect(() => createSyncApp({} as never)).toThrow(/options\.storage is required/);
  });
});

describe('the database drivers', () => {
  it('are loaded when asked for, and a missing one is named with how to install it', () => {
    expect(typeof loadDriver<unknown>('better-sqlite3', 'sqliteStorage()')).toBe('function');
    const missing = (name: string) => {
      throw Object.assign(new Error(`Cannot find module '${name}'`), { code: 'MODULE_NOT_FOUND' });
    };
    expect(() => loadDriver('pg', 'postgresStorage()', missing)).toThrow(
      'postgresStorage() needs the package "pg", an optional peer dependency of eventloom: npm install pg',
    );
    // A driver that is there but fails to load (a broken native build) says so itself.
    const broken = () => {
      throw new Error('invalid ELF header');
    };
    expect(() => loadDriver('better-sqlite3', 'sqliteStorage()', broken)).toThrow('invalid ELF header');
  });
});
