// The package as npm packs it (issue 15): `npm pack` (its prepack runs `npm run build`)
// emits dist/; the exports give Node and TypeScript users the built modules and their
// types; the bin runs the server. Then the tarball as an app gets it, `npm install`ed into
// a fresh project (npm resolves its dependencies, from its cache where it can) and used with
// nothing of this repository's set-up: a strict TypeScript check with a browser app's flags
// and no @types, and plain Node. (better-sqlite3, when the test installs it, is linked from
// this repository's: a fresh install compiles it, ~55 s here.) The app installs no React (an
// optional peer, and nothing the package depends on needs it); with react and react-dom
// linked in, as a React app has them, eventloom/react renders on Node.
// (One file: the build and the pack share dist/, so they must not run in parallel.)
// A Vite app and a webpack app built from the tarball run in Chromium; publint and
// arethetypeswrong find nothing to report in it. A storage of the app's own (issue 16: the
// one docs/server-storage.md writes) type-checks against the published storage contract, and
// eventloom/server/conformance runs from the tarball on plain Node.
import { execFile as execFileCb, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, extname, join } from 'node:path';
import { chromium } from 'playwright';
import { build } from 'vite';
import webpack from 'webpack';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS } from '../../scripts/chromium.mjs';

const execFile = promisify(execFileCb);
const root = join(import.meta.dirname, '..', '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  exports: Record<string, { types: string; 'eventloom-source': string; import: string }>;
  files: string[];
  bin: Record<string, string>;
};
let dir: string;
let app: string;
let packedFiles: string[];
let tarball: string;
let packed: {
  dependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional?: boolean }>;
};

/** Links `name` from this repository's node_modules into the app's, as npm would install it. */
async function provide(name: string): Promise<void> {
  const target = join(app, 'node_modules', name);
  await mkdir(dirname(target), { recursive: true });
  await symlink(join(root, 'node_modules', name), target, 'dir');
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'eventloom-package-'));
  // npm pack runs prepack (npm run build), as publishing does: dist/ is made anew.
  const { stdout } = await execFile('npm', ['pack', '--json', '--pack-destination', dir], { cwd: root, maxBuffer: 16 << 20 });
  const result = (JSON.parse(stdout) as { filename: string; files: { path: string }[] }[])[0]!;
  packedFiles = result.files.map((f) => f.path);
  tarball = join(dir, result.filename);
  app = join(dir, 'app');
  await mkdir(app, { recursive: true });
  await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  // As an app installs it: npm resolves its dependencies (from the npm cache where it can).
  await execFile('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball], { cwd: app, maxBuffer: 16 << 20 });
  packed = JSON.parse(await readFile(join(app, 'node_modules', 'eventloom', 'package.json'), 'utf8')) as typeof packed;
}, 180_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the built package', () => {
  it('has, for every entry point, its module, its types and their source maps, with .js imports only', () => {
    expect(Object.keys(pkg.exports)).toEqual(['.', './worker', './server', './server/conformance', './devtools', './react']);
    for (const entry of Object.values(pkg.exports)) {
      // TypeScript takes `types` first; Node and bundlers take `import`; this repository's
      // Vite asks for `eventloom-source` (a name no other tool asks for).
      expect(Object.keys(entry)).toEqual(['types', 'eventloom-source', 'import']);
      for (const file of [entry.types, entry.import, `${entry.import}.map`, `${entry.types}.map`])
        expect(existsSync(join(root, file)), file).toBe(true);
      expect(existsSync(join(root, entry['eventloom-source']))).toBe(true);
      const code = readFileSync(join(root, entry.import), 'utf8');
      expect(code).not.toMatch(/from '\.{1,2}\/[^']*\.ts'/);
      expect(code).toMatch(/from '\.{1,2}\/[^']*\.js'/);
    }
  });

  it('has types that need no database driver’s types', () => {
    const declarations = (dir: string): string[] =>
      readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? declarations(join(dir, e.name)) : e.name.endsWith('.d.ts') ? [join(dir, e.name)] : [],
      );
    const files = declarations('dist');
    expect(files.length).toBeGreaterThan(20);
    for (const file of files) expect(readFileSync(join(root, file), 'utf8'), file).not.toMatch(/from ['"](better-sqlite3|pg)['"]/);
  });

  it('is imported by plain Node: the server runs from dist/ and answers', async () => {
    const script = `
      const client = await import('eventloom');
      const { startSyncServer, memoryStorage } = await import('eventloom/server');
      if (typeof client.createStore !== 'function' || typeof client.defineProjection !== 'function') throw new Error('eventloom: no createStore');
      const resolved = import.meta.resolve('eventloom/server');
      const server = await startSyncServer({ port: 0, storage: memoryStorage(), warn: () => undefined });
      const response = await fetch(server.url + '/v1/logs/demo/events?after=0');
      console.log(JSON.stringify({ resolved, status: response.status, body: await response.json() }));
      await server.close();
    `;
    // --input-type=module from the repo's root: the package resolves itself by its exports.
    const { stdout } = await execFile(process.execPath, ['--input-type=module', '-e', script], { cwd: root });
    const out = JSON.parse(stdout.trim().split('\n').pop()!) as {
      resolved: string;
      status: number;
      body: { events: unknown[]; head: number };
    };
    expect(out.resolved).toMatch(/\/dist\/server\/index\.js$/);
    expect(out.status).toBe(200);
    expect(out.body).toEqual({ events: [], head: 0 });
  });

  it('has a conformance entry that loads no other package and no Node-only module, so it runs in any runtime', () => {
    const seen = new Set<string>();
    const visit = (file: string): void => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const [, spec] of readFileSync(file, 'utf8').matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)) {
        expect(spec, `${file} imports ${spec}`).toMatch(/^\.{1,2}\//);
        visit(join(dirname(file), spec!));
      }
    };
    visit(join(root, pkg.exports['./server/conformance']!.import));
    expect(seen.size).toBeGreaterThan(5);
  });

  it('packs only what users need: the build, the sources its maps point to, README and LICENSE', () => {
    expect(packedFiles).toContain('LICENSE');
    expect(packedFiles).toContain('README.md');
    expect(packedFiles).toContain('package.json');
    expect(packedFiles).toContain('dist/index.js');
    expect(packedFiles).toContain('dist/server/index.d.ts');
    const tops = new Set(packedFiles.map((f) => f.split('/')[0]));
    expect([...tops].sort()).toEqual(['LICENSE', 'README.md', 'dist', 'package.json', 'src']);
  });
});

describe('an app that installs the tarball', () => {
  it('installs no database driver: better-sqlite3 and pg are optional peers, not dependencies', () => {
    for (const driver of ['better-sqlite3', 'pg']) {
      expect(existsSync(join(app, 'node_modules', driver)), driver).toBe(false);
      expect(Object.keys(packed.dependencies)).not.toContain(driver);
      expect(packed.peerDependencies[driver]).toBeDefined();
      expect(packed.peerDependenciesMeta[driver]).toEqual({ optional: true });
    }
  });

  it('installs no React: react is an optional peer, and nothing the package depends on needs it', async () => {
    expect(existsSync(join(app, 'node_modules', 'react'))).toBe(false);
    const lock = JSON.parse(await readFile(join(app, 'package-lock.json'), 'utf8')) as { packages: Record<string, unknown> };
    expect(Object.keys(lock.packages).filter((path) => /(^|\/)node_modules\/react(-dom)?$/.test(path))).toEqual([]);
    expect(Object.keys(packed.dependencies)).not.toContain('react');
    expect(packed.peerDependencies['react']).toBe('>=18');
    expect(packed.peerDependenciesMeta['react']).toEqual({ optional: true });
  });

  it('type-checks under a strict browser tsconfig (erasableSyntaxOnly, verbatimModuleSyntax, no skipLibCheck, no @types)', async () => {
    await writeFile(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'ESNext',
          moduleResolution: 'bundler',
          lib: ['ES2023', 'DOM', 'DOM.Iterable'],
          strict: true,
          erasableSyntaxOnly: true,
          verbatimModuleSyntax: true,
          noEmit: true,
          noUnusedLocals: true,
          noUnusedParameters: true,
          noFallthroughCasesInSwitch: true,
          noUncheckedSideEffectImports: true,
          types: [],
        },
        include: ['src'],
      }),
    );
    await mkdir(join(app, 'src'), { recursive: true });
    await writeFile(
      join(app, 'src', 'main.ts'),
      `import { createStore, defineProjection, deriveKey, isConcurrencyError, isDecryptionError, type Store, type StoredEvent, type SyncEncryption } from 'eventloom';
const todos = defineProjection<string[]>({ name: 'todos', initial: () => [], reduce: (s, e: StoredEvent) => (e.type === 'added' ? [...s, String((e.payload as { id: string }).id)] : s) });
export async function run(worker: Worker): Promise<Store> {
  const store = await createStore({ name: 'app', worker, projections: { todos } });
  await store.append({ type: 'added', payload: { id: 'a' } }, { expectedVersion: 'any' }).catch((e: unknown) => (isConcurrencyError(e) ? [] : Promise.reject(e)));
  await store.undo();
  return store;
}
export async function openEncrypted(worker: Worker, passphrase: string): Promise<Store> {
  const encryption: SyncEncryption = { keys: { '2026-12': await deriveKey(passphrase, 'team-42') }, current: '2026-12' };
  const store = await createStore({ name: 'e2e', worker, sync: { url: 'https://sync.example.com', logId: 'team-42', encryption } });
  await store.sync.now().catch((e: unknown) => (isDecryptionError(e) ? console.warn(e.details['reason']) : Promise.reject(e)));
  return store;
}
`,
    );
    await writeFile(
      join(app, 'src', 'store.worker.ts'),
      `import { serveStore } from 'eventloom/worker';
import { defineProjection } from 'eventloom';
serveStore({ projections: { todos: defineProjection<string[]>({ name: 'todos', initial: () => [], reduce: (s) => s }) } });
`,
    );
    await writeFile(
      join(app, 'src', 'server.ts'),
      `import { createSyncApp, memoryStorage, startSyncServer, sqliteStorage, type SyncStorage } from 'eventloom/server';
const storage: SyncStorage = memoryStorage();
export const handler = createSyncApp({ storage });
export const start = () => startSyncServer({ port: 0, storage: sqliteStorage({ path: './data/app.db' }) });
`,
    );
    await writeFile(
      join(app, 'src', 'inspector.ts'),
      `import type { Store } from 'eventloom';
import { exportLog, mountInspector, LOG_EXPORT_VERSION, type InspectorOptions, type LogExport } from 'eventloom/devtools';
const options: InspectorOptions = { projection: 'todos' };
export function inspect(store: Store, element: HTMLElement): () => void {
  return mountInspector(store, element, options);
}
export async function save(store: Store): Promise<number> {
  const log: LogExport = await exportLog(store);
  return log.version === LOG_EXPORT_VERSION ? log.events.length : -1;
}
`,
    );
    // A storage of its own, as docs/server-storage.md writes it, and its conformance run.
    const storageDoc = readFileSync(join(root, 'docs', 'server-storage.md'), 'utf8');
    await writeFile(join(app, 'src', 'mapStorage.ts'), /<!-- Checked:[\s\S]*?```ts\n([\s\S]*?)```/.exec(storageDoc)![1]!);
    await writeFile(
      join(app, 'src', 'conformance.ts'),
      `import type { EventsResponse, PositionedEvent, PushResult, SyncStorage, WireEvent } from 'eventloom/server';
import { ConflictingPushError, InvalidPushError, memoryStorage, type PushLookups, type PushPlan } from 'eventloom/server';
import { ConformanceError, positioned, storageConformance, wireCommit, type MadeStorage, type StorageCheck } from 'eventloom/server/conformance';
import { mapStorage } from './mapStorage.js';
const make = async (): Promise<MadeStorage> => ({ storage: mapStorage(), cleanup: async () => undefined });
export const checks: StorageCheck[] = [...storageConformance(make), ...storageConformance(() => ({ storage: memoryStorage() }))];
export async function readBack(storage: SyncStorage): Promise<[EventsResponse, PositionedEvent[], PushResult[]]> {
  const commit: WireEvent[] = wireCommit(2);
  const { results } = await storage.push('log', commit);
  return [await storage.read('log', 0, 10), commit.map((e, i) => positioned(e, i + 1)), results];
}
export const errors: (new (message?: string) => Error)[] = [ConformanceError, InvalidPushError, ConflictingPushError];
export type Rule = (lookups: PushLookups) => PushPlan;
`,
    );
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    const result = await execFile(process.execPath, [tsc, '-p', app], { cwd: app }).catch((e: { stdout: string; code: number }) => e);
    expect((result as { stdout: string }).stdout).toBe('');
  }, 60_000);

  it('runs on plain Node: the server on memory, a clear error without better-sqlite3, SQLite once it is installed', async () => {
    const script = `
      const { createStore } = await import('eventloom');
      const { startSyncServer, memoryStorage, sqliteStorage } = await import('eventloom/server');
      const out = { createStore: typeof createStore };
      const memory = await startSyncServer({ port: 0, storage: memoryStorage(), warn: () => {} });
      out.memory = (await fetch(memory.url + '/v1/logs/a/events?after=0')).status;
      await memory.close();
      try { sqliteStorage({ path: './data/a.db' }); out.sqlite = 'made'; } catch (e) { out.sqlite = e.message; }
      console.log(JSON.stringify(out));
    `;
    const run = async () =>
      JSON.parse((await execFile(process.execPath, ['--input-type=module', '-e', script], { cwd: app })).stdout.trim()) as Record<
        string,
        unknown
      >;
    expect(await run()).toEqual({
      createStore: 'function',
      memory: 200,
      sqlite: 'sqliteStorage() needs the package "better-sqlite3", an optional peer dependency of eventloom: npm install better-sqlite3',
    });
    await provide('better-sqlite3');
    expect((await run())['sqlite']).toBe('made');
  }, 60_000);

  it('renders eventloom/react on plain Node once the app has react and react-dom, and needs nothing else', async () => {
    // After the test above: an app without React has none; a React app brings its own.
    await provide('react');
    await provide('react-dom');
    const script = `
      const { createElement } = await import('react');
      const { renderToString } = await import('react-dom/server');
      const { useProjection, useStoreStatus } = await import('eventloom/react');
      const state = { todos: ['a', 'b'] };
      const status = { head: 2, pending: 0, canUndo: true, canRedo: false, sync: 'off', lastSyncedAt: undefined, lastError: undefined, behind: 0, outdated: false };
      const store = { get: (name) => state[name], subscribe: () => () => {}, onStatus: () => () => {}, get status() { return { ...status }; } };
      function App() {
        const todos = useProjection(store, 'todos');
        const count = useProjection(store, 'todos', (t) => t.length);
        return createElement('p', null, todos.join(','), ' ', count, ' head ', useStoreStatus(store).head);
      }
      console.log(renderToString(createElement(App)));
    `;
    const { stdout } = await execFile(process.execPath, ['--input-type=module', '-e', script], { cwd: app });
    expect(stdout.trim()).toBe('<p>a,b<!-- --> <!-- -->2<!-- --> head <!-- -->2</p>');
  }, 60_000);

  it('runs the storage conformance suite from the installed package on plain Node, against memoryStorage()', async () => {
    const script = `
      const { memoryStorage } = await import('eventloom/server');
      const { storageConformance } = await import('eventloom/server/conformance');
      const checks = storageConformance(() => ({ storage: memoryStorage() }));
      const failed = [];
      for (const check of checks) await check.run().catch((e) => failed.push(check.name + ': ' + e.message));
      console.log(JSON.stringify({ checks: checks.length, failed }));
    `;
    const { stdout } = await execFile(process.execPath, ['--input-type=module', '-e', script], { cwd: app });
    expect(JSON.parse(stdout.trim())).toEqual({ checks: 32, failed: [] });
  }, 60_000);

  it('has the bin installed: `eventloom serve` runs the server on SQLite and stops on SIGTERM', async () => {
    const work = await mkdtemp(join(tmpdir(), 'eventloom-bin-'));
    try {
      // npm linked it into node_modules/.bin, as `npx eventloom` finds it.
      expect(pkg.bin).toEqual({ eventloom: './dist/server/bin.js' });
      const bin = join(app, 'node_modules', '.bin', 'eventloom');
      expect(readFileSync(bin, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
      const db = join(work, 'data', 'log.db');
      const child = spawn(bin, ['serve', '--port', '0', '--db', db], { cwd: work, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      child.stdout.setEncoding('utf8');
      const started = new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (chunk: string) => {
          stdout += chunk;
          const url = /Eventloom sync server: (http:\/\/\S+)/.exec(stdout)?.[1];
          if (url) resolve(url);
        });
        child.once('exit', (code) => reject(new Error(`the bin exited (${code}) before it listened: ${stdout}`)));
      });
      const url = await started;
      const response = await fetch(`${url}/v1/logs/demo/events?after=0`);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ events: [], head: 0 });
      expect(existsSync(db)).toBe(true);
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      expect((await exited)[0]).toBe(0);
      // Anything but `serve` is refused with the usage.
      const wrong = await execFile(bin, ['serv']).catch((e: { code: number; stderr: string }) => e);
      expect((wrong as { code: number }).code).toBe(2);
      expect((wrong as { stderr: string }).stderr).toMatch(/unknown command "serv"[\s\S]*Usage: eventloom serve/);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });

  it('builds with Vite into an app whose worker-mode store appends, undoes and keeps its data across a reload in Chromium', async () => {
    const web = join(app, 'web');
    await mkdir(web, { recursive: true });
    await writeFile(join(web, 'index.html'), '<!doctype html><html><body><script type="module" src="./main.ts"></script></body></html>');
    await writeFile(
      join(web, 'store.worker.ts'),
      `import { serveStore } from 'eventloom/worker';
import { todos } from './todos.ts';
serveStore({ projections: { todos } });
`,
    );
    await writeFile(
      join(web, 'todos.ts'),
      `import { defineProjection } from 'eventloom';
export const todos = defineProjection<string[]>({ name: 'todos', initial: () => [], reduce: (s, e) => (e.type === 'added' ? [...s, (e.payload as { id: string }).id] : s) });
`,
    );
    await writeFile(
      join(web, 'main.ts'),
      `import { createStore } from 'eventloom';
const store = await createStore({ name: 'consumer', worker: new Worker(new URL('./store.worker.ts', import.meta.url), { type: 'module' }) });
Object.assign(globalThis, { store, ready: true });
`,
    );
    const out = join(app, 'web-dist');
    // Vite's own defaults, as an app gets them: no 'eventloom-source' condition, so the package's dist/.
    await build({
      configFile: false,
      logLevel: 'silent',
      root: web,
      base: './',
      worker: { format: 'es' },
      build: { outDir: out, target: 'es2022' },
    });
    await expectStoreInChromium(out);
  }, 120_000);

  it('builds with webpack 5, its usual rule excluding node_modules, into an app that works the same in Chromium', async () => {
    const src = join(app, 'webpack');
    await mkdir(src, { recursive: true });
    await writeFile(
      join(src, 'todos.js'),
      `import { defineProjection } from 'eventloom';
export const todos = defineProjection({ name: 'todos', initial: () => [], reduce: (s, e) => (e.type === 'added' ? [...s, e.payload.id] : s) });
`,
    );
    await writeFile(
      join(src, 'store.worker.js'),
      `import { serveStore } from 'eventloom/worker';\nimport { todos } from './todos.js';\nserveStore({ projections: { todos } });\n`,
    );
    // webpack bundles the worker from new URL(..., import.meta.url) as a classic worker.
    await writeFile(
      join(src, 'main.js'),
      `import { createStore } from 'eventloom';
createStore({ name: 'consumer', worker: new Worker(new URL('./store.worker.js', import.meta.url)) }).then((store) => Object.assign(globalThis, { store, ready: true }));
`,
    );
    const out = join(app, 'webpack-dist');
    const stats = await new Promise<webpack.Stats>((resolve, reject) =>
      webpack(
        {
          mode: 'production',
          context: src,
          entry: './main.js',
          target: 'web',
          output: { path: out, filename: 'main.js', publicPath: 'auto' },
          module: { rules: [{ test: /\.js$/, exclude: /node_modules/, type: 'javascript/auto' }] },
        },
        (error, result) => (error || !result ? reject(error ?? new Error('webpack gave no stats')) : resolve(result)),
      ),
    );
    expect(stats.hasErrors() ? stats.toString('errors-only') : '').toBe('');
    await writeFile(join(out, 'index.html'), '<!doctype html><html><body><script src="./main.js"></script></body></html>');
    await expectStoreInChromium(out);
  }, 120_000);

  it('has nothing publint or arethetypeswrong (ESM profile) report', async () => {
    const bin = (name: string) => join(root, 'node_modules', '.bin', name);
    // publint on the unpacked tarball: exactly the files that ship.
    const lint = await execFile(bin('publint'), ['--strict', '--pack', 'false', join(app, 'node_modules', 'eventloom')]).catch(
      (e: { stdout: string; code: number }) => e,
    );
    expect((lint as { code?: number }).code ?? 0, (lint as { stdout: string }).stdout).toBe(0);
    expect((lint as { stdout: string }).stdout).toMatch(/All good/);
    const types = await execFile(bin('attw'), [tarball, '--profile', 'esm-only', '--format', 'json']).catch(
      (e: { stdout: string; code: number }) => e,
    );
    const report = JSON.parse((types as { stdout: string }).stdout) as { problems: Record<string, { resolutionKind: string }[]> };
    const problems = Object.values(report.problems)
      .flat()
      .filter((p) => p.resolutionKind !== 'node10' && p.resolutionKind !== 'node16-cjs');
    expect(problems).toEqual([]);
    expect((types as { code?: number }).code ?? 0).toBe(0);
  }, 120_000);
});

/**
 * Serves a built app from `out` and, in Chromium with a fresh profile, drives the store it
 * put on globalThis: two appends and an undo, then a reload keeps the state.
 */
async function expectStoreInChromium(out: string): Promise<void> {
  const server = createServer(async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    try {
      const body = await readFile(join(out, path === '/' ? 'index.html' : path));
      res.writeHead(200, { 'Content-Type': extname(path) === '.js' ? 'text/javascript' : 'text/html' }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const profile = await mkdtemp(join(tmpdir(), 'eventloom-package-profile-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
    type Page = { store: { append(e: unknown): Promise<unknown>; undo(): Promise<boolean>; get(name: string): string[] } };
    await page.goto(url);
    await page.waitForFunction(() => (globalThis as { ready?: boolean }).ready === true);
    const first = await page.evaluate(async () => {
      const { store } = globalThis as unknown as Page;
      await store.append({ type: 'added', payload: { id: 'a' } });
      await store.append({ type: 'added', payload: { id: 'b' } });
      const undone = await store.undo();
      return { undone, todos: store.get('todos') };
    });
    expect(first).toEqual({ undone: true, todos: ['a'] });
    await page.reload();
    await page.waitForFunction(() => (globalThis as { ready?: boolean }).ready === true);
    expect(await page.evaluate(() => (globalThis as unknown as Page).store.get('todos'))).toEqual(['a']);
    expect(errors).toEqual([]);
  } finally {
    await context.close();
    server.close();
    await rm(profile, { recursive: true, force: true });
  }
}
