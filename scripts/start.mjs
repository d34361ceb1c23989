#!/usr/bin/env node
// `npm start`: the reference sync server on its embedded SQLite default (./data/) at
// http://127.0.0.1:8787 and the example app at http://127.0.0.1:5173/, until Ctrl+C.
import { createServer, runnerImport } from 'vite';

const root = new URL('..', import.meta.url).pathname;
const { module: server } = await runnerImport(`${root}src/server/index.ts`);
const sync = await server.startSyncServer({ port: Number(process.env.SYNC_PORT ?? 8787) });
const vite = await createServer({ configFile: `${root}vite.config.ts`, define: { __SYNC_URL__: JSON.stringify(sync.url) } });
await vite.listen();
console.log(`\n  Eventloom example app: ${vite.resolvedUrls?.local[0] ?? 'http://127.0.0.1:5173/'}`);
console.log(`  Sync server:           ${sync.url} (SQLite ./data/eventloom.db)`);
console.log('  Ctrl+C stops both.\n');
const stop = async () => {
  await Promise.allSettled([vite.close(), sync.close()]);
  process.exit(0);
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
