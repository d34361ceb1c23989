// Diagnosis: one process pushing `N` events to startSyncServer(sqliteStorage) in batches of
// 1000 over HTTP; run under `node --cpu-prof` by bench/diagnose.mjs.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runnerImport } from 'vite';
import { makeEvents, wireOf } from '../page/data.js';

const N = Number(process.argv[2] ?? 20000);
const { module: server } = await runnerImport(new URL('../../src/server/index.ts', import.meta.url).pathname);
const dir = await mkdtemp(join(tmpdir(), 'eventloom-push-prof-'));
const storage = server.sqliteStorage({ path: join(dir, 'p.db') });
const s = await server.startSyncServer({ port: 0, storage, warn: () => {} });
const wire = wireOf(makeEvents(N, 11));
const bodies = [];
for (let i = 0; i < wire.length; i += 1000) bodies.push(JSON.stringify({ events: wire.slice(i, i + 1000) }));
const t0 = performance.now();
for (const body of bodies) {
  const r = await fetch(`${s.url}/v1/logs/p/events`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
  await r.json();
}
console.log(JSON.stringify({ ms: performance.now() - t0, events: N }));
await s.close();
await storage.close();
await rm(dir, { recursive: true, force: true });
