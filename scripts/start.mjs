#!/usr/bin/env node
// `npm start`: the reference sync server on its embedded SQLite default (./data/) at
// http://127.0.0.1:8787, and the demo built and served at http://127.0.0.1:5173/ (the
// built app, so its service worker is active and an offline reload works). Ctrl+C stops both.
import { build, preview, runnerImport } from 'vite';

const root = new URL('..', import.meta.url).pathname;
const configFile = `${root}vite.config.ts`;
console.log('Building the demo…');
await build({ configFile, root, logLevel: 'warn' });
const { module: server } = await runnerImport(`${root}src/server/index.ts`);
const sync = await server.startSyncServer({ port: Number(process.env.SYNC_PORT ?? 8787) });
const site = await preview({ configFile, root });
console.log(`\n  Eventloom demo (fleet change log): ${site.resolvedUrls?.local[0] ?? 'http://127.0.0.1:5173/'}`);
console.log(`  Sync server:                       ${sync.url} (SQLite ./data/eventloom.db)`);
console.log('  Ctrl+C stops both.\n');
const stop = async () => {
  await Promise.allSettled([new Promise((resolve) => site.httpServer.close(resolve)), sync.close()]);
  process.exit(0);
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
