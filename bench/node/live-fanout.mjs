// server.live.fanout: 1,000 live subscribers on one log. The time from a push's 200 until
// every subscriber has the event, against the same with one subscriber (the baseline): a push
// must not cost per subscriber. Also the server's memory per idle subscriber. The server runs
// in its own process (live-server.mjs); the subscribers are plain HTTP connections here.
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { createInterface } from 'node:readline';

const here = new URL('.', import.meta.url).pathname;

function startServer() {
  const child = spawn(process.execPath, ['--expose-gc', `${here}live-server.mjs`], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const waiting = [];
  lines.on('line', (line) => waiting.shift()?.(line));
  const next = () => new Promise((resolve) => waiting.push(resolve));
  return {
    url: next(),
    async memory() {
      child.stdin.write('mem\n');
      return JSON.parse(await next());
    },
    stop() {
      child.stdin.write('stop\n');
      return new Promise((resolve) => child.once('exit', resolve));
    },
  };
}

/** One SSE subscriber on `log`: resolves `ready` at the stream's head, `got(id)` once the event with that id arrived. */
function subscribe(url, log) {
  const seen = new Set();
  const wanted = new Map();
  let ready;
  const opened = new Promise((resolve) => (ready = resolve));
  let buffer = '';
  const req = request(`${url}/v1/logs/${log}/live?after=0`, { headers: { Accept: 'text/event-stream' }, agent: false }, (res) => {
    res.setEncoding('utf8');
    res.on('data', (chunk) => {
      buffer += chunk;
      let cut;
      while ((cut = buffer.indexOf('\n\n')) !== -1) {
        const message = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        if (message.startsWith('event: head')) ready();
        const data = message.split('\n').find((l) => l.startsWith('data: '));
        if (!message.startsWith('event: events') || !data) continue;
        for (const e of JSON.parse(data.slice(6)).events) {
          seen.add(e.id);
          wanted.get(e.id)?.();
        }
      }
    });
  });
  req.on('error', () => {});
  req.end();
  return {
    opened,
    got: (id) => (seen.has(id) ? Promise.resolve() : new Promise((resolve) => wanted.set(id, resolve))),
    close: () => req.destroy(),
  };
}

let pushed = 0;
async function pushOne(url, log) {
  const id = `fanout-${process.pid}-${++pushed}`;
  const event = { id, type: 'ping', payload: { n: pushed }, stream: 's', clientId: 'bench', commit: id, time: Date.now() };
  const response = await fetch(`${url}/v1/logs/${log}/events`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ events: [event] }) });
  if (!response.ok) throw new Error(`push: ${response.status}`);
  await response.json();
  return { id, answered: performance.now() };
}

/** Median over `pushes` pushes of the time from the 200 until all `subscribers` have the event. */
async function fanout(url, log, subscribers, pushes) {
  const times = [];
  for (let i = 0; i < pushes; i++) {
    const { id, answered } = await pushOne(url, log);
    await Promise.all(subscribers.map((s) => s.got(id)));
    times.push(performance.now() - answered);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

export async function liveFanoutCase({ subscribers: count = 1000, runs, log }) {
  const server = startServer();
  const url = await server.url;
  const toolkit = [];
  const baseline = [];
  let perSubscriber;
  try {
    for (let run = 0; run < runs; run++) {
      const logId = `fanout-${run}`;
      const one = [subscribe(url, `${logId}-one`)];
      await one[0].opened;
      const before = await server.memory();
      const many = Array.from({ length: count }, () => subscribe(url, logId));
      await Promise.all(many.map((s) => s.opened));
      const after = await server.memory();
      // Measured in the first run, on a fresh process (later runs reuse memory the first freed).
      if (run === 0) perSubscriber = (after.rss - before.rss) / count;
      // Interleaved: the single subscriber's push, then the thousand's, three pushes each.
      const single = await fanout(url, `${logId}-one`, one, 3);
      const all = await fanout(url, logId, many, 3);
      baseline.push(single);
      toolkit.push(all);
      log(`server.live.fanout run ${run + 1}/${runs}: ${count} subscribers ${all.toFixed(1)} ms, one ${single.toFixed(1)} ms; ${(perSubscriber / 1024).toFixed(1)} kB RSS per idle subscriber`);
      for (const s of [...one, ...many]) s.close();
    }
  } finally {
    await server.stop();
  }
  return { toolkit, baseline, perSubscriberBytes: perSubscriber };
}
