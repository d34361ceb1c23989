#!/usr/bin/env node
// `npm start`: serves the example app (index.html + demo/) with Vite at
// http://127.0.0.1:5173/ until Ctrl+C.
import { createServer } from 'vite';

const server = await createServer({ configFile: new URL('../vite.config.ts', import.meta.url).pathname });
await server.listen();
console.log(`\n  Eventloom example app: ${server.resolvedUrls?.local[0] ?? 'http://127.0.0.1:5173/'}\n  Ctrl+C stops it.\n`);
const stop = async () => {
  await server.close();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
