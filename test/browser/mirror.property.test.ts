// Worker mode posts each change as patches against the state the page last got (issue 13).
// This property drives two tabs on one database and another device through random appends,
// undos, redos, reverts, reopens, compactions (with undos that restore history from the
// server) and offline spells (whose pending commits are then rebased after the other
// device's), and checks that each page ends exactly equal to its worker and to a plain fold
// of its log, in real Chromium with real IndexedDB and a real sync server.
import fc from 'fast-check';
import { afterEach, describe, expect, inject, it } from 'vitest';
import type { EventInput, Store } from 'eventloom';
import { catalog, counter, dbName, referenceState, stock, todos } from '../support/fixtures.ts';
import { storesPerTest } from '../support/stores.ts';
import { untilStatus } from '../support/wait.ts';

const projections = { todos, counter, catalog, stock };
const names = Object.keys(projections) as (keyof typeof projections)[];

const workers: Worker[] = [];
const stores = storesPerTest();
afterEach(async () => {
  await stores.closeAll(); // while their workers still answer
  for (const w of workers.splice(0)) w.terminate();
});

async function open(name: string, logId: string): Promise<Store> {
  const worker = new Worker(new URL('./mirror.worker.ts', import.meta.url), { type: 'module' });
  workers.push(worker);
  // Snapshots every few events, so rebuilds after undo and rebase start from one.
  return stores.open({ name, worker, snapshotEvery: 5, sync: { url: inject('syncUrl'), logId } });
}

/** Who acts: 0 and 1 are two tabs on one database, 2 is another device. */
type Who = 0 | 1 | 2;
type Op =
  | { kind: 'append'; who: Who; events: EventInput[] }
  | { kind: 'undo' | 'redo' | 'sync' | 'offline' | 'online'; who: Who }
  | { kind: 'revert'; who: Who; back: number }
  | { kind: 'reopen'; who: Who }
  | { kind: 'compact'; who: Who; keep: number };

const id = fc.integer({ min: 0, max: 5 });
const event: fc.Arbitrary<EventInput> = fc.oneof(
  fc.record({ type: fc.constant('added'), payload: fc.record({ id: id.map((n) => `t${n}`), title: fc.string({ maxLength: 4 }) }) }),
  fc.record({ type: fc.constantFrom('toggled', 'removed'), payload: fc.record({ id: id.map((n) => `t${n}`) }) }),
  fc.record({ type: fc.constant('counted'), payload: fc.record({ n: fc.integer({ min: -9, max: 9 }) }) }),
  fc.record({
    type: fc.constant('item.set'),
    payload: id.chain((n) =>
      fc.record({ id: fc.constant(`i${n}`), group: fc.constant(`g${n % 3}`), title: fc.string({ maxLength: 4 }), qty: fc.nat(20) }),
    ),
  }),
  fc.record({ type: fc.constant('item.removed'), payload: id.map((n) => ({ id: `i${n}`, group: `g${n % 3}` })) }),
);
const who = fc.constantFrom<Who>(0, 1, 2);
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({ kind: fc.constant('append' as const), who, events: fc.array(event, { minLength: 1, maxLength: 3 }) }),
  },
  // A large commit over several streams: its small streams and types get slices (storage/records.ts).
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('append' as const),
      who,
      events: fc.array(
        fc.tuple(event, fc.nat(9)).map(([e, s]) => ({ ...e, stream: `s${s}` })),
        { minLength: 48, maxLength: 64 },
      ),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constantFrom('undo' as const, 'redo' as const), who }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('revert' as const), who, back: fc.nat(8) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('sync' as const), who }) },
  // Device 0/1 (the tabs share a database and one leader) or device 2 goes offline.
  { weight: 1, arbitrary: fc.record({ kind: fc.constantFrom('offline' as const, 'online' as const), who: fc.constantFrom<Who>(0, 2) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reopen' as const), who: fc.constantFrom<Who>(1, 2) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('compact' as const), who: fc.constantFrom<Who>(0, 2), keep: fc.nat(4) }) },
);

let run = 0;

/** Each projection's state as the page holds it, as its worker computes it, and as a plain fold of its log gives it. */
async function expectFaithful(store: Store, label: string): Promise<void> {
  const log = await store.events();
  const head = store.status.head;
  for (const name of names) {
    const page = await store.state(name);
    expect(page, `${label}: ${name}, page vs worker`).toEqual(await store.stateAt(name, { position: head }));
    expect(page, `${label}: ${name}, page vs a plain fold`).toEqual(
      referenceState(projections[name] as Parameters<typeof referenceState>[0], log),
    );
  }
  // Queries by stream and type (records and slices) equal a filter of the log kept here.
  const after = store.status.compacted ?? 0;
  const kept = log.filter((e) => e.position > after);
  for (const stream of ['default', 's0', 's5'])
    expect(await store.events({ stream, after }), `${label}: stream ${stream}`).toEqual(kept.filter((e) => e.stream === stream));
  for (const type of ['added', 'counted', '$undo'])
    expect(await store.events({ type, after }), `${label}: type ${type}`).toEqual(kept.filter((e) => e.type === type));
}

describe('worker mode: the page stays equal to the worker', () => {
  it('after random appends, undos, reverts, reopens, compactions and rebases', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 10, maxLength: 40 }), async (ops) => {
        const logId = `mirror-${Date.now()}-${run++}`;
        const tabs = dbName('mirror-tabs');
        const device = dbName('mirror-device');
        const open0 = await open(tabs, logId);
        const at: Store[] = [open0, await open(tabs, logId), await open(device, logId)];
        const offline = [false, false, false];
        for (const o of ops) {
          const store = at[o.who]!;
          switch (o.kind) {
            case 'append':
              await store.append(o.events);
              break;
            case 'undo':
              await store.undo();
              break;
            case 'redo':
              await store.redo();
              break;
            case 'revert': {
              const commits = [
                ...new Set((await store.events({ reverse: true, limit: 40 })).filter((e) => !e.type.startsWith('$')).map((e) => e.commit)),
              ];
              const commit = commits[o.back % Math.max(commits.length, 1)];
              if (commit) await store.revert(commit);
              break;
            }
            case 'sync':
              if (!offline[o.who === 1 ? 0 : o.who]) await store.sync.now();
              break;
            case 'offline':
            case 'online':
              offline[o.who] = o.kind === 'offline';
              if (o.kind === 'offline') store.sync.pause();
              else store.sync.resume();
              break;
            case 'reopen': {
              await store.close();
              at[o.who] = await open(o.who === 1 ? tabs : device, logId);
              if (o.who === 2) offline[2] = false; // a new store starts online
              break;
            }
            case 'compact': {
              const { head, pending, compacted = 0 } = store.status;
              const before = head - pending + (pending > 0 ? 1 : 0) - o.keep;
              if (before > compacted + 1) await store.compact({ before });
              break;
            }
          }
        }
        // Everyone online and synced: each page equals its worker and its log, and all agree.
        at[0]!.sync.resume();
        at[2]!.sync.resume();
        for (let round = 0; round < 2; round++) for (const s of [at[0]!, at[2]!]) await s.sync.now();
        const head = at[0]!.status.head;
        expect(at[0]!.status.pending).toBe(0);
        expect(at[2]!.status).toMatchObject({ head, pending: 0 });
        await untilStatus(at[1]!, (st) => st.head === head && st.pending === 0);
        for (const [i, s] of at.entries()) await expectFaithful(s, `store ${i}`);
        for (const name of names) {
          expect(at[1]!.get(name), `tab 1 vs tab 0: ${name}`).toEqual(at[0]!.get(name));
          expect(at[2]!.get(name), `device vs tabs: ${name}`).toEqual(at[0]!.get(name));
        }
        for (const s of at) await s.close();
      }),
      // Each run opens three stores on real IndexedDB and a real server: a few runs, no
      // shrinking (the seed and path in a failure replay it).
      { numRuns: 8, endOnFailure: true },
    );
  });
});
