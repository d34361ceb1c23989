// The reference sync server in a process of its own, so that its time and memory are the
// server's alone and the bench's clients do not share its event loop.
//   node server-process.mjs memory | sqlite <file> | raw
// `raw` is the floor for the live fan-out: plain node:http holding the SSE responses, each push
// written to all of them as one frame in the toolkit's format (no storage, no checks).
// Prints its URL as the first stdout line, then answers stdin lines:
// "mem" -> one JSON line { rss, heapUsed } (after a GC when --expose-gc),
// "cpu" -> one JSON line: CPU time used so far in µs (user + system), "stop" -> exits.
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { createInterface } from 'node:readline';
import { runnerImport } from 'vite';

const here = new URL('.', import.meta.url).pathname;

if (process.argv[1] === new URL(import.meta.url).pathname) {
  const [kind = 'memory', path] = process.argv.slice(2);
  let running;
  let storage;
  if (kind === 'raw') {
    running = await rawFanoutServer();
  } else {
    const { module: server } = await runnerImport(new URL('../../src/server/index.ts', import.meta.url).pathname);
    storage = kind === 'sqlite' ? server.sqliteStorage({ path }) : server.memoryStorage();
    running = await server.startSyncServer({
      port: 0,
      storage,
      warn: () => {},
      limits: { maxLiveStreams: 100_000, maxLiveStreamsPerToken: 100_000 },
    });
  }
  console.log(running.url);
  for await (const line of createInterface({ input: process.stdin })) {
    if (line === 'mem') {
      globalThis.gc?.();
      const { rss, heapUsed } = process.memoryUsage();
      console.log(JSON.stringify({ rss, heapUsed }));
    } else if (line === 'cpu') {
      const { user, system } = process.cpuUsage();
      console.log(JSON.stringify(user + system));
    } else if (line === 'stop') {
      await running.close();
      await storage?.close();
      process.exit(0);
    }
  }
}

/** Starts the server process; `url` resolves once it listens. */
export function startServerProcess(...args) {
  const child = spawn(process.execPath, ['--expose-gc', `${here}server-process.mjs`, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const waiting = [];
  lines.on('line', (line) => waiting.shift()?.(line));
  const next = () => new Promise((resolve) => waiting.push(resolve));
  const ask = async (what) => {
    child.stdin.write(`${what}\n`);
    return JSON.parse(await next());
  };
  return {
    url: next(),
    memory: () => ask('mem'),
    cpu: () => ask('cpu'),
    stop() {
      child.stdin.write('stop\n');
      return new Promise((resolve) => child.once('exit', resolve));
    },
  };
}

/** The live fan-out's floor: SSE responses held per log, each push written to every one as is. */
function rawFanoutServer() {
  const logs = new Map();
  const server = createServer((req, res) => {
    const [, log, route] = /^\/v1\/logs\/([^/]+)\/(live|events)/.exec(req.url) ?? [];
    if (!log) return res.writeHead(404).end();
    const state = logs.get(log) ?? { head: 0, subscribers: new Set() };
    logs.set(log, state);
    if (route === 'live') {
      res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
      res.write(`event: head\ndata: {"head":${state.head}}\n\n`);
      state.subscribers.add(res);
      req.on('close', () => state.subscribers.delete(res));
      return;
    }
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      const { events } = JSON.parse(Buffer.concat(chunks).toString());
      const positioned = events.map((e) => ({ ...e, position: ++state.head }));
      const frame = Buffer.from(`event: events\nid: ${state.head}\ndata: ${JSON.stringify({ events: positioned, head: state.head })}\n\n`);
      for (const subscriber of state.subscribers) subscriber.write(frame);
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ results: positioned.map((e) => ({ id: e.id, position: e.position })), head: state.head }));
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${server.address().port}`,
        close: () => new Promise((done) => server.close(done) && server.closeAllConnections()),
      }),
    ),
  );
}
