/**
 * One fresh PostgreSQL database per call, on the server provided by test/setup/postgres.ts
 * (globalSetup), so test files and cases never see each other's logs or schema.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';

/** Creates a uniquely named database and returns its connection string. */
export async function freshDatabase(): Promise<string> {
  const base = inject('databaseUrl');
  if (!base) throw new Error("no databaseUrl provided: add test/setup/postgres.ts to the project's globalSetup");
  const name = `eventloom_test_${randomUUID().replaceAll('-', '')}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(base);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Drops a database made by freshDatabase() (closing whatever connections remain). */
export async function dropDatabase(connectionString: string): Promise<void> {
  const name = new URL(connectionString).pathname.slice(1);
  if (!/^eventloom_test_[0-9a-f]{32}$/.test(name)) throw new Error(`not a test database: ${name}`);
  const admin = new pg.Client({ connectionString: inject('databaseUrl') });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

/**
 * Resolves once `count` sessions on this database have run LISTEN (postgresStorage opens its
 * LISTEN connection in the background; a NOTIFY sent before that is heard by no one).
 * Polls pg_stat_activity, bounded.
 */
export async function untilListening(connectionString: string, count = 1): Promise<void> {
  const name = new URL(connectionString).pathname.slice(1);
  const admin = new pg.Client({ connectionString: inject('databaseUrl') });
  await admin.connect();
  try {
    for (let attempt = 0; attempt < 1000; attempt++) {
      const { rows } = await admin.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity
         WHERE datname = $1 AND state = 'idle' AND query ILIKE 'LISTEN %'`,
        [name],
      );
      if (rows[0]!.n >= count) return;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    throw new Error(`no ${count} LISTEN session(s) on ${name}`);
  } finally {
    await admin.end();
  }
}
