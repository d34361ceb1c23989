// The sync server for server.live.fanout, in a process of its own so that its time and memory
// are the server's alone. Prints its URL as the first stdout line, then answers stdin lines:
// "mem" -> one JSON line { rss, heapUsed } (after a GC when --expose-gc), "stop" -> exits.
import { createInterface } from 'node:readline';
import { runnerImport } from 'vite';

const { module: server } = await runnerImport(new URL('../../src/server/index.ts', import.meta.url).pathname);
const storage = server.memoryStorage();
const running = await server.startSyncServer({ port: 0, storage, warn: () => {}, limits: { maxLiveStreams: 100_000, maxLiveStreamsPerToken: 100_000 } });
console.log(running.url);

for await (const line of createInterface({ input: process.stdin })) {
  if (line === 'mem') {
    globalThis.gc?.();
    const { rss, heapUsed } = process.memoryUsage();
    console.log(JSON.stringify({ rss, heapUsed }));
  } else if (line === 'stop') {
    await running.close();
    process.exit(0);
  }
}
