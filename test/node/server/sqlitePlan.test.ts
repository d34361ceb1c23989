/**
 * A push to the SQLite storage costs by its own size, not the log's (sqliteStorage invariant 3):
 * the lookups it makes for its ids and its markers' targets are index searches driven by the
 * pushed values. Left to itself, SQLite's planner answered `id IN (json_each(?))` with a scan
 * of the log's events, so each push got slower as the log grew.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { expect, it } from 'vitest';
import { LOOKUPS, sqliteStorage } from '../../../src/server/sqliteStorage.ts';
import { wireCommit } from './conformance.ts';

it.each(Object.keys(LOOKUPS) as (keyof typeof LOOKUPS)[])('looks %s up through an index, without scanning the log', async (name) => {
  const dir = await mkdtemp(join(tmpdir(), 'eventloom-sqlite-plan-'));
  const path = join(dir, 'sync.db');
  try {
    const storage = sqliteStorage({ path });
    for (let i = 0; i < 5; i++) await storage.push('log', wireCommit(1000, { stream: `s${i}` }));
    await storage.close();
    const db = new Database(path, { readonly: true });
    try {
      const plan = (db.prepare(`EXPLAIN QUERY PLAN ${LOOKUPS[name]}`).all('["a","b"]', 'log') as { detail: string }[]).map((r) => r.detail);
      const onEvents = plan.filter((d) => / e\b| events\b/.test(d));
      expect(onEvents).toHaveLength(1);
      expect(onEvents[0]).toMatch(
        /^SEARCH e USING (COVERING )?INDEX events_by_(id|commit) \((log_id=\? AND (id|commit_id)=\?|(id|commit_id)=\? AND log_id=\?)\)/,
      );
    } finally {
      db.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
