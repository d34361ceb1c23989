// The package as npm packs it (issue 15, first step): `npm run build` emits dist/, the
// exports give Node and TypeScript users the built modules and their types, and plain Node
// (no TypeScript tooling) imports them. The consumer apps (a Vite app under a strict
// tsconfig, webpack, a Node project installing the tarball) are still to come.
import { execFile as execFileCb, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';

const execFile = promisify(execFileCb);
const root = join(import.meta.dirname, '..', '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  exports: Record<string, { types: string; source: string; import: string }>;
  files: string[];
  bin: Record<string, string>;
};

beforeAll(async () => {
  await execFile(process.execPath, [join(root, 'scripts/build.mjs')], { cwd: root });
}, 120_000);

describe('the built package', () => {
  it('has, for every entry point, its module, its types and their source maps, with .js imports only', () => {
    expect(Object.keys(pkg.exports)).toEqual(['.', './worker', './server', './react']);
    for (const entry of Object.values(pkg.exports)) {
      // TypeScript takes `types` first; Node takes `import` (it knows no `source` condition).
      expect(Object.keys(entry)).toEqual(['types', 'source', 'import']);
      for (const file of [entry.types, entry.import, `${entry.import}.map`, `${entry.types}.map`]) expect(existsSync(join(root, file)), file).toBe(true);
      expect(existsSync(join(root, entry.source))).toBe(true);
      const code = readFileSync(join(root, entry.import), 'utf8');
      expect(code).not.toMatch(/from '\.{1,2}\/[^']*\.ts'/);
      expect(code).toMatch(/from '\.{1,2}\/[^']*\.js'/);
    }
  });

  it('has types that need no database driver’s types', () => {
    const declarations = (dir: string): string[] =>
      readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? declarations(join(dir, e.name)) : e.name.endsWith('.d.ts') ? [join(dir, e.name)] : []));
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
    const out = JSON.parse(stdout.trim().split('\n').pop()!) as { resolved: string; status: number; body: { events: unknown[]; head: number } };
    expect(out.resolved).toMatch(/\/dist\/server\/index\.js$/);
    expect(out.status).toBe(200);
    expect(out.body).toEqual({ events: [], head: 0 });
  });

  it('has a bin: `eventloom serve` runs the server on SQLite from plain Node and stops on SIGTERM', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'eventloom-bin-'));
    try {
      const bin = join(root, pkg.bin['eventloom']!);
      expect(readFileSync(bin, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
      const db = join(dir, 'data', 'log.db');
      const child = spawn(process.execPath, [bin, 'serve', '--port', '0', '--db', db], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
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
      const wrong = await execFile(process.execPath, [bin, 'serv']).catch((e: { code: number; stderr: string }) => e);
      expect((wrong as { code: number }).code).toBe(2);
      expect((wrong as { stderr: string }).stderr).toMatch(/unknown command "serv"[\s\S]*Usage: eventloom serve/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('packs only what users need: the build, the sources its maps point to, README and LICENSE', async () => {
    const { stdout } = await execFile('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, maxBuffer: 16 << 20 });
    const files = (JSON.parse(stdout) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
    expect(files).toContain('LICENSE');
    expect(files).toContain('README.md');
    expect(files).toContain('package.json');
    expect(files).toContain('dist/index.js');
    expect(files).toContain('dist/server/index.d.ts');
    const tops = new Set(files.map((f) => f.split('/')[0]));
    expect([...tops].sort()).toEqual(['LICENSE', 'README.md', 'dist', 'package.json', 'src']);
  });
});
