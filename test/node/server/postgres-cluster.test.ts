/**
 * Two sync server instances on one PostgreSQL database (DESIGN "Server"): positions stay
 * unique and gap-free under concurrent pushes through both, a pull through either never
 * shows a hole, and a live subscriber on one instance hears pushes made through the other.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresStorage } from '../../../src/server/postgresStorage.ts';
import { startSyncServer, type RunningSyncServer } from '../../../src/server/startSyncServer.ts';
import type { SyncStorage } from '../../../src/server/storage.ts';
import type { EventsResponse, PositionedEvent, PushResponse, WireEvent } from '../../../src/protocol/wire.ts';
import { dropDatabase, freshDatabase, untilListening } from '../../support/postgres.ts';
import { subscribe, type Subscription } from '../../support/sse.ts';
import { positioned, wireCommit } from './conformance.ts';

let connectionString: string;
let storages: SyncStorage[] = [];
let servers: RunningSyncServer[] = [];
let A: string;
let B: string;

beforeAll(async () => {
  connectionString = await freshDatabase();
  storages = [postgresStorage({ connectionString }), postgresStorage({ connectionString })];
  servers = await Promise.all(storages.map((storage) => startSyncServer({ port: 0, storage, warn: () => {} })));
  [A, B] = servers.map((s) => s.url) as [string, string];
  // Both instances' LISTEN sessions are up (they open in the background; see the report).
  await untilListening(connectionString, 2);
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await Promise.all(storages.map((s) => s.close()));
  await dropDatabase(connectionString);
});

async function push(base: string, logId: string, events: WireEvent[]): Promise<PushResponse> {
  const res = await fetch(`${base}/v1/logs/${logId}/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ events }),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as PushResponse;
}

async function pull(base: string, logId: string, after: number, limit: number): Promise<EventsResponse> {
  const res = await fetch(`${base}/v1/logs/${logId}/events?after=${after}&limit=${limit}`);
  expect(res.status).toBe(200);
  return (await res.json()) as EventsResponse;
}

/** A live subscription (test/support/sse.ts) on one instance; `until` awaits a condition on what arrived. */
async function live(base: string, logId: string, after: number): Promise<Subscription> {
  const subscription = await subscribe(`${base}/v1/logs/${logId}/live?after=${after}`);
  expect(subscription.res.status).toBe(200);
  expect(subscription.res.headers.get('content-type')).toMatch(/^text\/event-stream/);
  return subscription;
}

describe('two server instances on one PostgreSQL database', () => {
  it('gives concurrent pushers through both instances every position 1..N exactly once, and no pull through either shows a hole', async () => {
    const LOG = 'cluster-positions';
    const PUSHERS = 4;
    const COMMITS = 25;
    const sent: WireEvent[][][] = [];
    const answers: PushResponse[][] = [];
    let done = false;
    const problems: string[] = [];

    const pusher = async (p: number) => {
      sent[p] = [];
      answers[p] = [];
      for (let i = 0; i < COMMITS; i++) {
        const commit = wireCommit(1 + ((p + i) % 3), { clientId: `pusher-${p}`, stream: `s${i % 3}` });
        sent[p]!.push(commit);
        answers[p]!.push(await push((p + i) % 2 === 0 ? A : B, LOG, commit));
      }
    };
    // pullers with a cursor through each instance: what they collect must be 1..N, each once
    const puller = async (base: string) => {
      const collected: PositionedEvent[] = [];
      let cursor = 0;
      const step = async () => {
        const page = await pull(base, LOG, cursor, 5);
        page.events.forEach((e, k) => {
          if (e.position !== cursor + 1 + k) problems.push(`${base}: after ${cursor} #${k} is ${e.position}`);
        });
        const last = page.events[page.events.length - 1];
        if (last && page.head < last.position) problems.push(`${base}: head ${page.head} < ${last.position}`);
        collected.push(...page.events);
        if (last) cursor = last.position;
        return page.events.length;
      };
      for (let i = 0; i < 5000 && !done; i++) await step();
      for (let i = 0; i < 1000; i++) if ((await step()) === 0) break;
      return collected;
    };

    const pulling = Promise.all([puller(A), puller(B)]);
    await Promise.all(Array.from({ length: PUSHERS }, (_, p) => pusher(p))).finally(() => {
      done = true;
    });
    const [viaA, viaB] = await pulling;

    expect(problems).toStrictEqual([]);
    const all = sent.flat(2);
    const N = all.length;
    const positionOf = new Map<string, number>();
    for (const [p, commits] of sent.entries()) {
      for (const [i, commit] of commits.entries()) {
        const { results, head } = answers[p]![i]!;
        const first = (results[0] as { position: number }).position;
        // a commit's events at consecutive positions
        expect(results).toStrictEqual(commit.map((e, k) => ({ id: e.id, position: first + k })));
        expect(head).toBeGreaterThanOrEqual(first + commit.length - 1);
        for (const r of results) positionOf.set(r.id, (r as { position: number }).position);
      }
    }
    expect([...positionOf.values()].sort((x, y) => x - y)).toStrictEqual(Array.from({ length: N }, (_, i) => i + 1));

    const byId = new Map(all.map((e) => [e.id, e]));
    const log = all.map((e) => positioned(e, positionOf.get(e.id)!)).sort((x, y) => x.position - y.position);
    expect(await pull(A, LOG, 0, 1000)).toStrictEqual({ events: log, head: N });
    expect(await pull(B, LOG, 0, 1000)).toStrictEqual({ events: log, head: N });
    expect(viaA).toStrictEqual(log);
    expect(viaB).toStrictEqual(log);
    expect(byId.size).toBe(N);
  });

  it('delivers an event pushed through instance A to a live subscriber on instance B', async () => {
    const LOG = 'cluster-live';
    const subscriber = await live(B, LOG, 0);
    try {
      // the stream is open (and B subscribed) once its first message arrived
      await subscriber.until(() => subscriber.messages.length > 0);
      expect(subscriber.events).toStrictEqual([]);

      const commit = wireCommit(2, { payload: { via: 'A' } });
      await push(A, LOG, commit);
      await subscriber.until(() => subscriber.events.length >= 2);

      const message = subscriber.messages.find((m) => m.event === 'events')!;
      expect(JSON.parse(message.data)).toStrictEqual({ events: commit.map((e, i) => positioned(e, i + 1)), head: 2 });
      expect(message.id).toBe('2');
      expect(subscriber.events).toStrictEqual(commit.map((e, i) => positioned(e, i + 1)));

      // and pushes through B itself, after A's
      const more = wireCommit(1);
      await push(B, LOG, more);
      await subscriber.until(() => subscriber.events.length >= 3);
      expect(subscriber.events).toStrictEqual([...commit, ...more].map((e, i) => positioned(e, i + 1)));
    } finally {
      await subscriber.close();
    }
  });

  it('streams every event of concurrent pushes through both instances to live subscribers on each, in order, once', async () => {
    const LOG = 'cluster-live-concurrent';
    const onA = await live(A, LOG, 0);
    const onB = await live(B, LOG, 0);
    try {
      await onA.until(() => onA.messages.length > 0);
      await onB.until(() => onB.messages.length > 0);
      const commits = Array.from({ length: 20 }, (_, i) => wireCommit(1 + (i % 2), { clientId: `c${i % 4}` }));
      const answers = await Promise.all(commits.map((c, i) => push(i % 2 ? A : B, LOG, c)));
      const N = commits.flat().length;
      await onA.until(() => onA.events.length >= N);
      await onB.until(() => onB.events.length >= N);

      const positionOf = new Map(answers.flatMap((a) => a.results.map((r) => [r.id, (r as { position: number }).position] as const)));
      const log = commits
        .flat()
        .map((e) => positioned(e, positionOf.get(e.id)!))
        .sort((x, y) => x.position - y.position);
      expect(log.map((e) => e.position)).toStrictEqual(Array.from({ length: N }, (_, i) => i + 1));
      expect(onA.events).toStrictEqual(log);
      expect(onB.events).toStrictEqual(log);
    } finally {
      await onA.close();
      await onB.close();
    }
  });
});
