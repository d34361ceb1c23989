// server.live.fanout: 1,000 live subscribers on one log. The time from a push's 200 until
// every subscriber has the event, against the same with one subscriber (the baseline): a push
// must not cost per subscriber. Also the server's memory per idle subscriber. The server runs
// in its own process (server-process.mjs); the subscribers are plain HTTP connections here.
import { request } from 'node:http';
import { startServerProcess } from './server-process.mjs';

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
      for (let cut = buffer.indexOf('\n\n'); cut !== -1; cut = buffer.indexOf('\n\n')) {
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
  const response = await fetch(`${url}/v1/logs/${log}/events`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ events: [event] }),
  });
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

/** `count` subscribers on a fresh log of `server`: the fan-out time (median of `pushes`) and the server's CPU per push. */
async function manyOn(server, url, logId, count, pushes) {
  const many = Array.from({ length: count }, () => subscribe(url, logId));
  await Promise.all(many.map((s) => s.opened));
  const cpu0 = await server.cpu();
  const ms = await fanout(url, logId, many, pushes);
  const cpuPerPush = ((await server.cpu()) - cpu0) / pushes;
  return { many, ms, cpuPerPush };
}

/**
 * The toolkit's server with one subscriber (the case's baseline) and with `count`, and the raw
 * fan-out floor (server-process.mjs `raw`: node:http writing each push to every response)
 * with `count`, interleaved; each server in its own process, the same client here.
 */
export async function liveFanoutCase({ subscribers: count = 1000, runs, log, pushes = 5 }) {
  const server = startServerProcess('memory');
  const raw = startServerProcess('raw');
  const [url, rawUrl] = [await server.url, await raw.url];
  const toolkit = [];
  const baseline = [];
  const floor = [];
  const cpu = { toolkit: [], raw: [] };
  /** One round on fresh logs: a push to one subscriber, to `count` (the server's memory around it), to `count` on the floor. */
  const round = async (logId) => {
    const one = [subscribe(url, `${logId}-one`)];
    await one[0].opened;
    const single = await fanout(url, `${logId}-one`, one, pushes);
    const before = await server.memory();
    const t = await manyOn(server, url, logId, count, pushes);
    const after = await server.memory();
    for (const s of [...one, ...t.many]) s.close();
    const r = await manyOn(raw, rawUrl, logId, count, pushes);
    for (const s of r.many) s.close();
    return { single, t, r, perSubscriber: (after.rss - before.rss) / count };
  };
  let perSubscriber;
  try {
    // The warm-up round is not timed. The memory per idle subscriber is measured in it, on
    // fresh processes (later rounds reuse memory the first one freed).
    ({ perSubscriber } = await round('fanout-warm'));
    log(`server.live.fanout warm-up: ${(perSubscriber / 1024).toFixed(1)} kB RSS per idle subscriber`);
    for (let run = 0; run < runs; run++) {
      const { single, t, r } = await round(`fanout-${run}`);
      baseline.push(single);
      toolkit.push(t.ms);
      floor.push(r.ms);
      cpu.toolkit.push(t.cpuPerPush);
      cpu.raw.push(r.cpuPerPush);
      log(
        `server.live.fanout run ${run + 1}/${runs}: ${count} subscribers ${t.ms.toFixed(1)} ms (server CPU ${(t.cpuPerPush / 1000).toFixed(1)} ms per push), ` +
          `one ${single.toFixed(2)} ms, raw node:http ${r.ms.toFixed(1)} ms (CPU ${(r.cpuPerPush / 1000).toFixed(1)} ms)`,
      );
    }
  } finally {
    await server.stop();
    await raw.stop();
  }
  return { toolkit, baseline, floor, cpu, perSubscriberBytes: perSubscriber };
}
