import 'fake-indexeddb/auto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStore, isConcurrencyError, type Store } from '../../../src/index.ts';
import { memoryStorage, startSyncServer, type RunningSyncServer } from '../../../src/server/index.ts';
import { counter, dbName, referenceState, todos } from '../../support/fixtures.ts';

let server: RunningSyncServer;
beforeAll(async () => {
  server = await startSyncServer({ port: 0, storage: memoryStorage(), warn: () => undefined });
});
afterAll(async () => {
  await server.close();
});

type Command =
  | { kind: 'append'; replica: number; stream: number; n: number; guarded: boolean }
  | { kind: 'undo' | 'redo' | 'sync' | 'partition' | 'heal'; replica: number };

const command = (replicas: number): fc.Arbitrary<Command> => {
  const replica = fc.integer({ min: 0, max: replicas - 1 });
  return fc.oneof(
    {
      weight: 5,
      arbitrary: fc.record({
        kind: fc.constant('append' as const),
        replica,
        stream: fc.integer({ min: 0, max: 2 }),
        n: fc.integer({ min: 1, max: 3 }),
        guarded: fc.boolean(),
      }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constantFrom('undo' as const, 'redo' as const), replica }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('sync' as const), replica }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constantFrom('partition' as const, 'heal' as const), replica }) },
  );
};

let run = 0;

describe('replicas under random appends, undos and partitions', () => {
  it('end with identical logs and states after a full sync', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 3 }).chain((n) => fc.tuple(fc.constant(n), fc.array(command(n), { minLength: 5, maxLength: 30 }))),
        async ([n, commands]) => {
          const logId = `prop-${run++}`;
          const stores: Store[] = [];
          for (let i = 0; i < n; i++) {
            stores.push(
              await createStore({
                name: dbName('prop'),
                projections: { todos, counter },
                snapshotEvery: 4,
                sync: { url: server.url, logId, live: false },
              }),
            );
          }
          try {
            for (const c of commands) {
              const s = stores[c.replica]!;
              switch (c.kind) {
                case 'append': {
                  const events = Array.from({ length: c.n }, (_, i) => ({
                    type: 'added',
                    payload: { id: `${c.replica}-${i}-${Math.random()}`, n: i },
                    stream: `s${c.stream}`,
                  }));
                  const version = (await s.events({ stream: `s${c.stream}` })).filter((e) => !e.type.startsWith('$')).length;
                  // The background loop may pull between the read and the append: a guarded
                  // append may then fail locally, as it would for the app.
                  await s.append(events, c.guarded ? { expectedVersion: version } : undefined).catch((error: unknown) => {
                    if (!c.guarded || !isConcurrencyError(error)) throw error;
                  });
                  break;
                }
                case 'undo':
                  await s.undo();
                  break;
                case 'redo':
                  await s.redo();
                  break;
                case 'sync':
                  if (s.status.sync !== 'paused') await s.sync.now();
                  break;
                case 'partition':
                  s.sync.pause();
                  break;
                case 'heal':
                  s.sync.resume();
                  break;
              }
            }
            for (const s of stores) s.sync.resume();
            for (let round = 0; round < 2; round++) for (const s of stores) await s.sync.now();
            const logs = await Promise.all(stores.map((s) => s.events()));
            const first = logs[0]!.map((e) => ({ id: e.id, position: e.position, pending: e.pending }));
            for (const log of logs) {
              expect(log.map((e) => ({ id: e.id, position: e.position, pending: e.pending }))).toEqual(first);
            }
            expect(first.every((e) => !e.pending)).toBe(true);
            for (const s of stores) {
              expect(s.get('todos')).toEqual(referenceState(todos, logs[0]!));
              expect(s.get('counter')).toEqual(referenceState(counter, logs[0]!));
              expect(s.status.pending).toBe(0);
            }
          } finally {
            for (const s of stores) await s.close();
          }
        },
      ),
      {
        numRuns: 25,
        // Found by this property: a rejection answered to a round in flight when sync was
        // paused showed the store as 'syncing' again (status must stay 'paused').
        examples: [
          [
            [
              3,
              [
                { kind: 'append', replica: 0, stream: 1, n: 1, guarded: false },
                { kind: 'append', replica: 2, stream: 1, n: 1, guarded: true },
                { kind: 'partition', replica: 2 },
                { kind: 'undo', replica: 0 },
                { kind: 'sync', replica: 2 },
                { kind: 'append', replica: 0, stream: 0, n: 1, guarded: false },
                { kind: 'sync', replica: 0 },
              ],
            ],
          ],
        ],
      },
    );
  }, 120_000);
});
