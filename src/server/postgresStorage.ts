/**
 * PostgreSQL, for several server instances on one database.
 * - Pushes to one log serialise on a transaction-scoped advisory lock of that log, so
 *   positions are gap-free and unique, and commit in position order: a read never sees a
 *   position before every lower one (storage invariant 2).
 * - After each push that adds events, `pg_notify('eventloom', logId + '\n' + head)` inside
 *   the transaction; every instance LISTENs on one dedicated connection and tells its
 *   live subscribers (delivered on commit only).
 */
import type pg from 'pg';
import type { WireEvent } from '../protocol/wire.ts';
import { markerTargets, planPush } from './plan.ts';
import { loadDriver } from './driver.ts';
import { fromRow } from './rows.ts';
import { Listeners, type SyncStorage } from './storage.ts';

const CHANNEL = 'eventloom';
const SCHEMA_LOCK = 0x65766c6d; // "evlm": serialises schema creation between instances

export function postgresStorage(options: { connectionString: string; max?: number }): SyncStorage {
  const { Pool, Client } = loadDriver<typeof pg>('pg', 'postgresStorage()');
  const pool = new Pool({ connectionString: options.connectionString, max: options.max ?? 10 });
  pool.on('error', () => undefined); // idle client errors: the next query reconnects
  const listeners = new Listeners();
  let closed = false;
  let listener: pg.Client | undefined;

  const ready = (async () => {
    const client = await pool.connect();
    try {
      await client.query('SELECT pg_advisory_lock($1)', [SCHEMA_LOCK]);
      await client.query(`
        CREATE TABLE IF NOT EXISTS eventloom_logs (log_id text PRIMARY KEY, head bigint NOT NULL);
        CREATE TABLE IF NOT EXISTS eventloom_events (
          log_id text NOT NULL, position bigint NOT NULL, id text NOT NULL, type text NOT NULL,
          payload text, stream text NOT NULL, client_id text NOT NULL, commit_id text NOT NULL,
          time double precision NOT NULL, meta text, schema_version integer,
          PRIMARY KEY (log_id, position));
        ALTER TABLE eventloom_events ADD COLUMN IF NOT EXISTS schema_version integer;
        CREATE UNIQUE INDEX IF NOT EXISTS eventloom_events_by_id ON eventloom_events (log_id, id);
        CREATE INDEX IF NOT EXISTS eventloom_events_by_commit ON eventloom_events (log_id, commit_id);
        CREATE TABLE IF NOT EXISTS eventloom_streams (
          log_id text NOT NULL, stream text NOT NULL, version bigint NOT NULL, PRIMARY KEY (log_id, stream));
      `);
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [SCHEMA_LOCK]).catch(() => undefined);
      client.release();
    }
  })();

  async function listen(): Promise<void> {
    if (closed || listener) return;
    const client = new Client({ connectionString: options.connectionString });
    listener = client;
    client.on('notification', (message) => {
      if (message.channel !== CHANNEL || !message.payload) return;
      const cut = message.payload.lastIndexOf('\n');
      listeners.emit(message.payload.slice(0, cut), Number(message.payload.slice(cut + 1)));
    });
    client.on('error', () => {
      // The connection dropped: reconnect; subscribers resume from their cursors anyway.
      if (listener === client) listener = undefined;
      client.end().catch(() => undefined);
      if (!closed) setTimeout(() => void listen().catch(() => undefined), 500);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
      // Pushes made while we were not listening were not heard: tell every subscriber to
      // look again (they re-read from their cursors).
      for (const logId of listeners.logs()) listeners.emit(logId, await headOf(pool, logId).catch(() => 0));
    } catch (error) {
      if (listener === client) listener = undefined;
      await client.end().catch(() => undefined);
      if (!closed) setTimeout(() => void listen().catch(() => undefined), 500);
      throw error;
    }
  }
  // Ready = schema made and LISTEN up, so no push of ours is announced before we listen.
  const listening = ready.then(listen);
  listening.catch(() => undefined);
  const started = Promise.all([ready, listening.catch(() => undefined)]);

  async function headOf(client: pg.PoolClient | pg.Pool, logId: string): Promise<number> {
    const { rows } = await client.query<{ head: string }>('SELECT head FROM eventloom_logs WHERE log_id = $1', [logId]);
    return rows[0] ? Number(rows[0].head) : 0;
  }

  return {
    async push(logId: string, events: readonly WireEvent[]) {
      await started;
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [logId]);
        const head = await headOf(client, logId);
        const ids = events.map((e) => e.id);
        const found = await client.query(
          `SELECT position, id, type, payload, stream, client_id, commit_id, time, meta, schema_version FROM eventloom_events
           WHERE log_id = $1 AND id = ANY($2::text[])`,
          [logId, ids],
        );
        const existing = new Map(found.rows.map((r) => [r.id as string, fromRow(r)]));
        const named = markerTargets(events);
        const marked =
          named.length === 0
            ? []
            : (
                await client.query<{ commit_id: string; marker: boolean }>(
                  `SELECT commit_id, bool_and(left(type, 1) = '$') AS marker FROM eventloom_events
                   WHERE log_id = $1 AND commit_id = ANY($2::text[]) GROUP BY commit_id`,
                  [logId, named],
                )
              ).rows;
        const targets = new Map(marked.map((r) => [r.commit_id, r.marker]));
        const streams = [...new Set(events.map((e) => e.stream))];
        const vrows = await client.query<{ stream: string; version: string }>(
          'SELECT stream, version FROM eventloom_streams WHERE log_id = $1 AND stream = ANY($2::text[])',
          [logId, streams],
        );
        const versions = new Map(vrows.rows.map((r) => [r.stream, Number(r.version)]));
        const plan = planPush(events, { head, existing, versions, targets });
        if (plan.rows.length > 0) {
          const col = <K extends keyof (typeof plan.rows)[number]>(k: K) => plan.rows.map((r) => r[k]);
          await client.query(
            `INSERT INTO eventloom_events (log_id, position, id, type, payload, stream, client_id, commit_id, time, meta, schema_version)
             SELECT $1, * FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::float8[], $10::text[], $11::int[])`,
            [
              logId,
              col('position'),
              col('id'),
              col('type'),
              plan.rows.map((r) => (r.payload === undefined ? null : JSON.stringify(r.payload))),
              col('stream'),
              col('clientId'),
              col('commit'),
              col('time'),
              plan.rows.map((r) => (r.meta === undefined ? null : JSON.stringify(r.meta))),
              plan.rows.map((r) => r.schemaVersion ?? null),
            ],
          );
          await client.query(
            `INSERT INTO eventloom_streams (log_id, stream, version) SELECT $1, * FROM unnest($2::text[], $3::bigint[])
             ON CONFLICT (log_id, stream) DO UPDATE SET version = excluded.version`,
            [logId, [...plan.versions.keys()], [...plan.versions.values()]],
          );
          await client.query(
            `INSERT INTO eventloom_logs (log_id, head) VALUES ($1, $2) ON CONFLICT (log_id) DO UPDATE SET head = excluded.head`,
            [logId, plan.head],
          );
          await client.query('SELECT pg_notify($1, $2)', [CHANNEL, `${logId}\n${plan.head}`]);
        }
        await client.query('COMMIT');
        return { results: plan.results, head: plan.head };
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
    async read(logId, after, limit) {
      await ready;
      const client = await pool.connect();
      try {
        // REPEATABLE READ: the page and the head come from one snapshot.
        await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
        const { rows } = await client.query(
          `SELECT position, id, type, payload, stream, client_id, commit_id, time, meta, schema_version FROM eventloom_events
           WHERE log_id = $1 AND position > $2 ORDER BY position LIMIT $3`,
          [logId, after, limit],
        );
        const head = await headOf(client, logId);
        await client.query('COMMIT');
        return { events: rows.map(fromRow), head };
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
    async head(logId) {
      await ready;
      return headOf(pool, logId);
    },
    subscribe(logId, fn) {
      return listeners.add(logId, fn);
    },
    async close() {
      if (closed) return;
      closed = true;
      listeners.clear();
      await listening.catch(() => undefined);
      await listener?.end().catch(() => undefined);
      await pool.end();
    },
  };
}
