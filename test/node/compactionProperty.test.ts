/**
 * Compaction under random operations: three stores (two tabs on one database, one on
 * another) syncing through a real server append, undo, redo, revert, compact, reopen and
 * read; every so often each store's head state, stateAt() by position and by time, and
 * events() are checked against a replay of the server's full log. Written by a review,
 * whose 100-seed runs found the cases kept in compaction*.test.ts. SEEDS=n runs more.
 */
import 'fake-indexeddb/auto';
import { afterEach, expect, it } from 'vitest';
import { createStore, type Store, type StoredEvent } from '../../src/index.ts';
import { memoryStorage, startSyncServer, type RunningSyncServer } from '../../src/server/index.ts';
import { counter, dbName, projections, referenceState, todos } from '../support/fixtures.ts';

function rng(seed: number) {
  let s = (seed * 2654435761) >>> 0;
  const next = () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  for (let i = 0; i < 10; i++) next();
  return next;
}

const SEEDS = Number(process.env.SEEDS ?? 8);
const OPS = Number(process.env.OPS ?? 120);
const FIRST = Number(process.env.FIRST ?? 1);

let server: RunningSyncServer | undefined;
const open = new Set<Store>();
afterEach(async () => {
  for (const s of open) await s.close().catch(() => undefined);
  open.clear();
  await server?.close();
});

for (let seed = FIRST; seed < FIRST + SEEDS; seed++) {
  it(`random ops, seed ${seed}`, async () => {
    const rand = rng(seed);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const storage = memoryStorage();
    server = await startSyncServer({ port: 0, storage, warn: () => undefined });
    const logId = `log-${seed}`;
    const sync = { url: server.url, logId, live: false };
    const every = pick([0, 3, 5, 10]);
    const names = [dbName('A'), dbName('B')];
    const dbOf = [0, 0, 1]; // stores 0 and 1 are two tabs of database A
    const mk = async (i: number) => {
      const s = await createStore({ name: names[dbOf[i]!]!, projections, sync, snapshotEvery: every });
      open.add(s);
      return s;
    };
    const stores: Store[] = [];
    for (let i = 0; i < 3; i++) stores.push(await mk(i));
    const trace: string[] = [];
    const problems: string[] = [];
    const serverLog = async () => (await storage.read(logId, 0, 1e9)).events as unknown as StoredEvent[];
    let n = 0;

    // Two rounds converge (every push, then every pull); four leave room for a store whose
    // background round overlaps.
    const syncAll = async () => {
      for (let round = 0; round < 4; round++) for (const s of stores) await s.sync.now();
    };
    const check = async (label: string) => {
      await syncAll();
      const log = await serverLog();
      if (log.length === 0) return;
      for (const [i, s] of stores.entries()) {
        if (s.status.pending !== 0 || s.status.head !== log.length) {
          problems.push(`${label} store ${i}: head ${s.status.head} pending ${s.status.pending}, server ${log.length}`);
          continue;
        }
        if (JSON.stringify(s.get('todos')) !== JSON.stringify(referenceState(todos, log)))
          problems.push(`${label} store ${i}: head state of todos differs`);
        const got = s.get<{ log: string[] }>('counter').log;
        const want = referenceState(counter, log).log;
        if (JSON.stringify(got) !== JSON.stringify(want)) {
          const pos = (id: string) => log.find((e) => e.id === id)?.position;
          problems.push(
            `${label} store ${i}: head state of counter differs: extra ${got.filter((x) => !want.includes(x)).map(pos)} missing ${want.filter((x) => !got.includes(x)).map(pos)} (compacted ${s.status.compacted} head ${s.status.head})`,
          );
        }
        for (let k = 0; k < 2; k++) {
          const at = 1 + Math.floor(rand() * log.length);
          try {
            const got = await s.stateAt('counter', { position: at });
            const want = referenceState(counter, log.slice(0, at));
            if (JSON.stringify(got) !== JSON.stringify(want)) {
              const g = (got as typeof want).log;
              const pos = (id: string) => log.find((e) => e.id === id)?.position;
              problems.push(
                `${label} store ${i}: stateAt position ${at} differs (compacted ${s.status.compacted}): extra ${g.filter((x) => !want.log.includes(x)).map(pos)} missing ${want.log.filter((x) => !g.includes(x)).map(pos)}`,
              );
            }
          } catch (e) {
            problems.push(`${label} store ${i}: stateAt position ${at} threw ${(e as Error).name}: ${(e as Error).message}`);
          }
          const t = pick(log).time;
          try {
            const got = await s.stateAt('counter', { time: t });
            if (
              JSON.stringify(got) !==
              JSON.stringify(
                referenceState(
                  counter,
                  log.filter((e) => e.time <= t),
                ),
              )
            )
              problems.push(`${label} store ${i}: stateAt time differs (compacted ${s.status.compacted})`);
          } catch (e) {
            problems.push(`${label} store ${i}: stateAt time threw ${(e as Error).name}: ${(e as Error).message}`);
          }
        }
        try {
          const evs = await s.events({ after: Math.floor(rand() * log.length) });
          const after = log.length - evs.length;
          if (evs.some((e, j) => e.id !== log[after + j]!.id)) problems.push(`${label} store ${i}: events() differ`);
        } catch (e) {
          problems.push(`${label} store ${i}: events() threw ${(e as Error).name}`);
        }
      }
    };

    for (let op = 0; op < OPS && problems.length === 0; op++) {
      const i = Math.floor(rand() * 3);
      const s = stores[i]!;
      const r = rand();
      let what = '';
      try {
        if (r < 0.35) {
          const k = 1 + Math.floor(rand() * 3);
          what = `append ${k}`;
          await s.append(
            Array.from({ length: k }, () => ({
              type: pick(['added', 'toggled', 'removed']),
              stream: pick(['s1', 's2']),
              payload: { id: `i${Math.floor(rand() * 6)}`, n: ++n },
            })),
          );
        } else if (r < 0.45) {
          what = 'undo';
          await s.undo();
        } else if (r < 0.52) {
          what = 'redo';
          await s.redo();
        } else if (r < 0.6) {
          const log = (await serverLog()).filter((e) => !e.type.startsWith('$'));
          if (log.length === 0) continue;
          const e = pick(log);
          what = `revert ${e.position}`;
          // Only commits this store has (the server's confirmed ones it pulled).
          await s.sync.now();
          await s.revert(e.commit);
        } else if (r < 0.72) {
          const head = s.status.head;
          const first = head - s.status.pending + 1;
          const before = Math.max(1, Math.min(first, Math.floor(rand() * head) + 1));
          what = `compact ${before} (head ${head}, compacted ${s.status.compacted ?? 0})`;
          if (head > 1) await s.compact({ before });
        } else if (r < 0.85) {
          what = 'sync';
          await s.sync.now();
        } else if (r < 0.9) {
          what = 'reopen';
          await s.close();
          open.delete(s);
          stores[i] = await mk(i);
        } else if (r < 0.95) {
          const head = s.status.head;
          if (head < 1) continue;
          const at = 1 + Math.floor(rand() * head);
          what = `stateAt ${at}`;
          await s.stateAt('counter', { position: at });
        } else {
          what = 'check';
          await check(`op ${op}`);
        }
      } catch (e) {
        const name = (e as Error).name;
        if (!(name === 'InvalidEventError' && /compact|revert/.test(what)))
          problems.push(`op ${op} store ${i} ${what}: ${name}: ${(e as Error).message}`);
      }
      trace.push(`${op}: store ${i} ${what}`);
    }
    if (problems.length === 0) await check('end');
    if (problems.length > 0) {
      const log = await serverLog();
      const first = new Map<string, number>();
      for (const e of log) if (!first.has(e.commit)) first.set(e.commit, e.position);
      trace.push(
        'markers: ' +
          log
            .filter((e) => e.type.startsWith('$'))
            .map((e) => `${e.position}:${e.type}->${first.get((e.payload as { commit: string }).commit)}`)
            .join(' '),
      );
    }
    if (problems.length > 0)
      console.log(`seed ${seed} every ${every}\n${problems.slice(0, 5).join('\n')}\n--- last ops:\n${trace.slice(-12).join('\n')}`);
    expect(problems).toEqual([]);
  }, 60_000);
}
