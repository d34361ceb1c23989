import 'fake-indexeddb/auto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createStore, type Store, type StoredEvent } from '../../../src/index.ts';
import { createSyncApp, memoryStorage } from '../../../src/server/index.ts';
import { dbName, todos } from '../../support/fixtures.ts';

// The sync loop against a server whose page size, push limits and failures are drawn at
// random, with commits that it can never accept: every replica ends with the server's log,
// every acceptable commit confirmed, every unacceptable one in sync.rejected(), and no
// round that never ends.

type Fault = 'ok' | 'lost-request' | 'lost-answer' | 'unavailable';

interface Server {
  maxPullLimit: number;
  maxEventsPerPush: number;
  maxBodyBytes: number;
  faults: Fault[];
}

interface Append {
  replica: number;
  events: number;
  /** A payload over the server's body limit. */
  huge: boolean;
}

type Command = { kind: 'append'; append: Append } | { kind: 'sync'; replica: number };

const server: fc.Arbitrary<Server> = fc.record({
  maxPullLimit: fc.integer({ min: 1, max: 5 }),
  maxEventsPerPush: fc.integer({ min: 2, max: 6 }),
  maxBodyBytes: fc.integer({ min: 4_000, max: 8_000 }),
  faults: fc.array(fc.constantFrom<Fault>('ok', 'ok', 'ok', 'lost-request', 'lost-answer', 'unavailable'), { minLength: 1, maxLength: 12 }),
});

const commands = (replicas: number): fc.Arbitrary<Command[]> => {
  const replica = fc.integer({ min: 0, max: replicas - 1 });
  return fc.array(
    fc.oneof(
      {
        weight: 4,
        arbitrary: fc.record({
          kind: fc.constant('append' as const),
          append: fc.record({ replica, events: fc.integer({ min: 1, max: 8 }), huge: fc.integer({ min: 0, max: 7 }).map((x) => x === 0) }),
        }),
      },
      { weight: 2, arbitrary: fc.record({ kind: fc.constant('sync' as const), replica }) },
    ),
    { minLength: 3, maxLength: 20 },
  );
};

/** Rejects if `p` takes longer than `ms`: a round that never ends fails the property. */
function bounded<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not end within ${ms} ms`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/** The push body one commit alone makes, as the client sends it (sync/http.ts). */
function bodyBytes(events: StoredEvent[]): number {
  const wire = events.map(({ id, type, payload, stream, clientId, commit, time }) => ({
    id,
    type,
    payload,
    stream,
    clientId,
    commit,
    time,
  }));
  return new TextEncoder().encode(JSON.stringify({ events: wire })).length;
}

let run = 0;

describe('the sync loop against an unreliable server with random limits', () => {
  it('ends with every replica on the server’s log, acceptable commits confirmed, the others rejected', async () => {
    await fc.assert(
      fc.asyncProperty(
        server,
        fc.integer({ min: 1, max: 3 }).chain((n) => fc.tuple(fc.constant(n), commands(n))),
        async (config, [n, script]) => {
          const app = createSyncApp({
            storage: memoryStorage(),
            limits: { maxPullLimit: config.maxPullLimit, maxEventsPerPush: config.maxEventsPerPush, maxBodyBytes: config.maxBodyBytes },
          });
          let faulty = true;
          let drawn = 0;
          // The server, reached without a socket; each request meets the next fault in turn.
          const transport: typeof fetch = async (input, init) => {
            const request = new Request(input, init);
            const fault = faulty ? config.faults[drawn++ % config.faults.length]! : 'ok';
            if (fault === 'lost-request') throw new TypeError('the network dropped the request');
            if (fault === 'unavailable') return Response.json({ error: { code: 'unavailable', message: 'busy' } }, { status: 503 });
            const response = await app.fetch(request);
            if (fault === 'lost-answer') {
              await response.body?.cancel();
              throw new TypeError('the network dropped the answer');
            }
            return response;
          };
          const logId = `unreliable-${run++}`;
          const stores: Store[] = [];
          const made: { replica: number; events: StoredEvent[] }[] = [];
          try {
            for (let i = 0; i < n; i++) {
              stores.push(
                await createStore({
                  name: dbName('unreliable'),
                  projections: { todos },
                  snapshotEvery: 3,
                  sync: { url: 'http://localhost:8787', logId, live: false, fetch: transport },
                }),
              );
            }
            for (const c of script) {
              if (c.kind === 'sync') {
                await bounded(stores[c.replica]!.sync.now(), 10_000, 'sync.now()').catch((error: unknown) => {
                  if ((error as Error).message.includes('did not end')) throw error;
                });
                continue;
              }
              const { replica, events, huge } = c.append;
              const title = huge ? 'x'.repeat(config.maxBodyBytes) : 'small';
              const appended = await stores[replica]!.append(
                Array.from({ length: events }, (_, i) => ({ type: 'added', payload: { id: `${replica}-${made.length}-${i}`, title } })),
              );
              made.push({ replica, events: appended });
            }

            faulty = false;
            for (let round = 0; round < 2; round++) {
              for (const s of stores) await bounded(s.sync.now(), 10_000, 'sync.now() on a healthy server');
            }

            const log: { id: string; position: number }[] = [];
            for (let after = 0; ; ) {
              const page = (await (
                await app.fetch(new Request(`http://localhost:8787/v1/logs/${logId}/events?after=${after}`))
              ).json()) as { events: StoredEvent[]; head: number };
              log.push(...page.events.map((e) => ({ id: e.id, position: e.position })));
              after = log.length;
              if (after >= page.head) break;
            }
            const onServer = new Map(log.map((e) => [e.id, e.position]));
            for (const s of stores) {
              expect((await s.events()).map((e) => ({ id: e.id, position: e.position }))).toEqual(log);
              expect(s.status.pending).toBe(0);
            }
            for (const { replica, events } of made) {
              const acceptable = events.length <= config.maxEventsPerPush && bodyBytes(events) <= config.maxBodyBytes;
              const positions = events.map((e) => onServer.get(e.id));
              const rejected = (await stores[replica]!.sync.rejected()).find((r) => r.commit === events[0]!.commit);
              if (acceptable) {
                expect(rejected).toBeUndefined();
                expect(positions.every((p, i) => p !== undefined && p === positions[0]! + i)).toBe(true);
              } else {
                expect(positions.every((p) => p === undefined)).toBe(true);
                expect(rejected?.events.map((e) => e.id)).toEqual(events.map((e) => e.id));
                expect(rejected?.reason.name).toBe('InvalidEventError');
              }
            }
          } finally {
            for (const s of stores) await s.close();
            app.close();
          }
        },
      ),
      { numRuns: Number(process.env['SYNC_RUNS'] ?? 30) },
    );
  }, 300_000);
});
