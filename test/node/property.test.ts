import 'fake-indexeddb/auto';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { createStore, defineProjection, type EventInput, type Projection, type StoredEvent, type Store } from '../../src/index.ts';
import { counter, dbName, fragile, referenceState, todos } from '../support/fixtures.ts';

/**
 * Property tests of the store against the reference semantics (a plain fold over the
 * effective events, test/support/fixtures.ts) and a small reference model of undo/redo
 * as DESIGN.md "Semantics" states it:
 * - undo() targets the latest commit of this client that is in effect (markers never);
 * - redo() targets the commit most recently undone by undo(), as long as the client made
 *   no new (non-marker) commit since; repeated redo() walks back in reverse order of undoing;
 * - revert(commit) undoes any commit; its marker carries meta { revert: true } and is not
 *   part of the undo/redo history (src/core/markers.ts HistoryWalk).
 */

const all = { todos, counter, fragile } as const;
type ProjectionName = keyof typeof all;
const names = Object.keys(all) as ProjectionName[];

/** The reference state of a projection (fixtures' referenceState): a plain fold over the effective events. */
function reference(name: ProjectionName, log: StoredEvent[]): unknown {
  return referenceState(all[name] as unknown as Projection<unknown>, log);
}

/**
 * Projection sets a reopen may use: the same reducers under other versions, so snapshots of
 * one projection are ignored and rebuilt while another's are used (their replays start at
 * different positions). Reducers are unchanged, so the reference state is too.
 */
const variants = [
  all,
  { ...all, counter: defineProjection({ ...counter, version: 2 }) },
  { ...all, todos: defineProjection({ ...todos, version: 2 }) },
  { ...all, counter: defineProjection({ ...counter, version: 2 }), todos: defineProjection({ ...todos, version: 3 }) },
] as const;

/** fast-check options: on failure, stop shrinking in time to report before the test timeout. */
const runs = (numRuns: number) => ({ numRuns, interruptAfterTimeLimit: 80_000 });
const TIMEOUT = 120_000;

// ---- commands --------------------------------------------------------------------------

type Cmd =
  | { kind: 'append'; events: EventInput[] }
  | { kind: 'boom'; events: EventInput[] } // contains a "boom": fragile's reducer throws
  | { kind: 'undo' }
  | { kind: 'redo' }
  | { kind: 'revert'; pick: number }
  | { kind: 'reopen'; variant: number; client: number };

const eventArb: fc.Arbitrary<EventInput> = fc
  .record({
    type: fc.constantFrom('added', 'toggled', 'removed', 'noted'),
    stream: fc.constantFrom(undefined, 'alpha', 'beta'), // three streams: "default", alpha, beta
    id: fc.constantFrom('x', 'y', 'z'),
    n: fc.integer({ min: -3, max: 9 }),
  })
  .map(({ type, stream, id, n }) => (stream === undefined ? { type, payload: { id, n } } : { type, stream, payload: { id, n } }));

const appendArb = fc.array(eventArb, { minLength: 1, maxLength: 3 }).map((events): Cmd => ({ kind: 'append', events }));
const boomArb = fc.tuple(fc.array(eventArb, { minLength: 0, maxLength: 2 }), fc.nat()).map(([events, at]): Cmd => {
  const list = events.slice();
  list.splice(at % (list.length + 1), 0, { type: 'boom', payload: { n: 1 } });
  return { kind: 'boom', events: list };
});

function cmdArb(withReopen: boolean): fc.Arbitrary<Cmd> {
  return fc.oneof(
    { arbitrary: appendArb, weight: 6 },
    { arbitrary: fc.constant<Cmd>({ kind: 'undo' }), weight: 4 },
    { arbitrary: fc.constant<Cmd>({ kind: 'redo' }), weight: 3 },
    { arbitrary: fc.nat().map((pick): Cmd => ({ kind: 'revert', pick })), weight: 2 },
    { arbitrary: boomArb, weight: 1 },
    {
      arbitrary: fc
        .record({ variant: fc.integer({ min: 0, max: variants.length - 1 }), client: fc.constantFrom(0, 0, 1) })
        .map(({ variant, client }): Cmd => ({ kind: 'reopen', variant, client })),
      weight: withReopen ? 1 : 0,
    },
  );
}

const cmdsArb = (max: number, withReopen = true) => fc.array(cmdArb(withReopen), { minLength: 1, maxLength: max, size: 'max' });

// ---- reference model of undo/redo ----------------------------------------------------

class HistoryModel {
  /** Every non-marker commit in log order, with the client (0 or 1) that made it. */
  readonly commits: { commit: string; client: number }[] = [];
  readonly undone = new Set<string>();
  /** Per client: commits undone by its undo() since its last non-marker commit, not redone; last = most recent. */
  readonly redoStacks: string[][] = [[], []];
  /** The client of the open store. */
  current = 0;

  append(commit: string): void {
    this.commits.push({ commit, client: this.current });
    this.redoStacks[this.current] = [];
  }

  undo(): string | undefined {
    for (let i = this.commits.length - 1; i >= 0; i--) {
      const { commit, client } = this.commits[i]!;
      if (client !== this.current || this.undone.has(commit)) continue;
      this.undone.add(commit);
      this.redoStacks[this.current]!.push(commit);
      return commit;
    }
    return undefined;
  }

  redo(): string | undefined {
    const stack = this.redoStacks[this.current]!;
    while (stack.length > 0) {
      const c = stack.pop()!;
      if (this.undone.has(c)) {
        this.undone.delete(c);
        return c;
      }
    }
    return undefined;
  }

  /** Returns whether the commit was in effect (so a marker is due). */
  revert(commit: string): boolean {
    if (this.undone.has(commit)) return false;
    this.undone.add(commit);
    return true;
  }

  get canUndo(): boolean {
    return this.commits.some(({ commit, client }) => client === this.current && !this.undone.has(commit));
  }

  get canRedo(): boolean {
    return this.redoStacks[this.current]!.some((c) => this.undone.has(c));
  }
}

// ---- driver ----------------------------------------------------------------------------

interface RunOptions {
  name: string;
  snapshotEvery: number;
  /** Check the state and history after every command (else only at the end). */
  checkEachStep: boolean;
}

/** Client 0 is the database's own (default, persisted) clientId; client 1 is another one, as after a sync. */
const OTHER_CLIENT = 'other-client';

function open(name: string, snapshotEvery: number, variant = 0, client = 0): Promise<Store> {
  return createStore({ name, projections: variants[variant]!, snapshotEvery, ...(client === 1 ? { clientId: OTHER_CLIENT } : {}) });
}

/** The distinct non-marker commits of a log, in log order. */
function commitsOf(log: StoredEvent[]): string[] {
  const seen = new Set<string>();
  for (const e of log) if (!e.type.startsWith('$')) seen.add(e.commit);
  return [...seen];
}

async function expectMatchesReference(store: Store, model: HistoryModel, context: string): Promise<StoredEvent[]> {
  const log = await store.events();
  expect(
    log.map((e) => e.position),
    `${context}: positions`,
  ).toEqual(log.map((_, i) => i + 1));
  expect(store.status.head, `${context}: head`).toBe(log.length);
  for (const name of names) {
    expect(store.get(name), `${context}: get(${name})`).toEqual(reference(name, log));
  }
  // The model's view of what is undone agrees with the log's markers.
  const effective = new Set(commitsOf(log).filter((c) => referenceState(effectProbe(c), log) > 0));
  for (const { commit } of model.commits)
    expect(effective.has(commit), `${context}: commit ${commit} in effect`).toBe(!model.undone.has(commit));
  expect(store.status.canUndo, `${context}: canUndo`).toBe(model.canUndo);
  expect(store.status.canRedo, `${context}: canRedo`).toBe(model.canRedo);
  return log;
}

/** A projection that counts effective events of one commit (0 = undone or absent). */
function effectProbe(commit: string) {
  return { initial: () => 0, reduce: (s: number, e: StoredEvent) => (e.commit === commit ? s + 1 : s) } as const;
}

/**
 * Runs commands against a store and the reference model; returns the still-open store.
 * Revert picks among the log's non-marker commits by index (so the same command list picks
 * the same commit in every store).
 */
async function run(cmds: Cmd[], options: RunOptions): Promise<{ store: Store; model: HistoryModel }> {
  let store = await open(options.name, options.snapshotEvery);
  const ownId = store.clientId;
  const model = new HistoryModel();
  try {
    for (const [step, cmd] of cmds.entries()) {
      const context = `step ${step} (${cmd.kind})`;
      const headBefore = store.status.head;
      switch (cmd.kind) {
        case 'append': {
          const stored = await store.append(cmd.events);
          expect(stored.length, context).toBe(cmd.events.length);
          const commit = stored[0]!.commit;
          stored.forEach((e, i) => {
            expect(e.position, context).toBe(headBefore + 1 + i);
            expect(e.commit, context).toBe(commit);
            expect(e.clientId, context).toBe(store.clientId);
            expect(e.pending, context).toBe(false);
            expect(e.type, context).toBe(cmd.events[i]!.type);
            expect(e.stream, context).toBe(cmd.events[i]!.stream ?? 'default');
            expect(e.payload, context).toEqual(cmd.events[i]!.payload);
          });
          model.append(commit);
          break;
        }
        case 'boom': {
          const before = names.map((n) => store.get(n));
          await expect(store.append(cmd.events), context).rejects.toMatchObject({ name: 'ProjectionError' });
          expect(store.status.head, context).toBe(headBefore);
          names.forEach((n, i) => {
            expect(store.get(n), context).toEqual(before[i]);
          });
          break;
        }
        case 'undo':
        case 'redo': {
          const expected = cmd.kind === 'undo' ? model.undo() : model.redo();
          const done = cmd.kind === 'undo' ? await store.undo() : await store.redo();
          expect(done, `${context}: return value`).toBe(expected !== undefined);
          if (expected === undefined) {
            expect(store.status.head, context).toBe(headBefore);
          } else {
            expect(store.status.head, context).toBe(headBefore + 1);
            const [marker] = await store.events({ after: headBefore });
            expect(marker, context).toMatchObject({ type: `$${cmd.kind}`, payload: { commit: expected }, clientId: store.clientId });
            expect(marker?.meta?.['revert'], `${context}: undo()/redo() markers are not reverts`).not.toBe(true);
          }
          break;
        }
        case 'revert': {
          const commits = commitsOf(await store.events());
          if (commits.length === 0) break;
          const target = commits[cmd.pick % commits.length]!;
          const due = model.revert(target);
          await store.revert(target);
          if (due) {
            expect(store.status.head, context).toBe(headBefore + 1);
            const [marker] = await store.events({ after: headBefore });
            expect(marker, context).toMatchObject({ type: '$undo', payload: { commit: target }, meta: { revert: true } });
          }
          break;
        }
        case 'reopen': {
          await store.close();
          store = await open(options.name, options.snapshotEvery, cmd.variant, cmd.client);
          model.current = cmd.client;
          expect(store.clientId, `${context}: clientId`).toBe(cmd.client === 1 ? OTHER_CLIENT : ownId);
          break;
        }
      }
      if (options.checkEachStep) await expectMatchesReference(store, model, context);
    }
    await expectMatchesReference(store, model, 'end');
    return { store, model };
  } catch (error) {
    await store.close();
    throw error;
  }
}

/** Counter's `log` holds event ids, which differ between databases: compare by position. */
function normalise(name: ProjectionName, state: unknown, log: StoredEvent[]): unknown {
  if (name !== 'counter') return state;
  const positionOf = new Map(log.map((e) => [e.id, e.position]));
  const s = state as { count: number; sum: number; log: string[] };
  return { ...s, log: s.log.map((id) => positionOf.get(id)) };
}

async function timeline(store: Store, log: StoredEvent[]): Promise<unknown[][]> {
  const out: unknown[][] = [];
  for (let p = 0; p <= log.length + 1; p++) {
    out.push(await Promise.all(names.map(async (n) => normalise(n, await store.stateAt(n, { position: p }), log))));
  }
  return out;
}

/** Runs one command without checks (used where only the resulting log matters). */
async function runOne(store: Store, cmd: Cmd, name: string, snapshotEvery: number): Promise<Store> {
  switch (cmd.kind) {
    case 'append':
      await store.append(cmd.events);
      return store;
    case 'boom':
      await store.append(cmd.events).then(
        () => expect.fail('an append with a "boom" event must fail'),
        (error: unknown) => expect(error).toMatchObject({ name: 'ProjectionError' }),
      );
      return store;
    case 'undo':
      await store.undo();
      return store;
    case 'redo':
      await store.redo();
      return store;
    case 'revert': {
      const commits = commitsOf(await store.events());
      if (commits.length > 0) await store.revert(commits[cmd.pick % commits.length]!);
      return store;
    }
    case 'reopen':
      await store.close();
      return open(name, snapshotEvery, cmd.variant, cmd.client);
  }
}

// ---- properties ------------------------------------------------------------------------

describe('store properties (fast-check)', () => {
  it(
    'state equals a plain reduce over the effective events after random appends, undos, redos, reverts and reopens (with other projection versions or as another client); undo()/redo() follow the history model',
    async () => {
      await fc.assert(
        fc.asyncProperty(cmdsArb(30), async (cmds) => {
          const { store } = await run(cmds, { name: dbName('prop-seq'), snapshotEvery: 3, checkEachStep: true });
          await store.close();
        }),
        runs(40),
      );
    },
    TIMEOUT,
  );

  it('a failed (throwing) append in the middle of a history changes neither state nor undo/redo', async () => {
    // Deterministic companion to the property: undo, failed append, redo must still redo.
    const store = await open(dbName('prop-boom'), 2);
    try {
      const [a] = await store.append({ type: 'added', payload: { id: 'x', n: 1 } });
      await store.append({ type: 'added', payload: { id: 'y', n: 2 } });
      expect(await store.undo()).toBe(true);
      await expect(store.append([{ type: 'noted', payload: { n: 5 } }, { type: 'boom' }])).rejects.toMatchObject({
        name: 'ProjectionError',
      });
      expect(store.status.canRedo).toBe(true);
      expect(await store.redo()).toBe(true);
      expect(await store.redo()).toBe(false);
      const log = await store.events();
      expect(log.map((e) => e.type)).toEqual(['added', 'added', '$undo', '$redo']);
      expect(store.get('counter')).toEqual({ count: 2, sum: 3, log: [a!.id, log[1]!.id] });
    } finally {
      await store.close();
    }
  });

  it(
    'commands issued without waiting (one group commit) behave as if run one by one in call order',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.array(cmdArb(false), { minLength: 1, maxLength: 8, size: 'max' }), { minLength: 1, maxLength: 5, size: 'max' }),
          fc.boolean(),
          async (groups, reopenBetween) => {
            const name = dbName('prop-group');
            let store = await open(name, 2);
            const model = new HistoryModel();
            try {
              for (const [g, group] of groups.entries()) {
                const known = commitsOf(await store.events());
                const headBefore = store.status.head;
                const targetOf = (pick: number) => (known.length > 0 ? known[pick % known.length] : undefined);
                // Issue every call synchronously, in order, without awaiting in between.
                const calls = group.map((cmd): Promise<unknown> => {
                  switch (cmd.kind) {
                    case 'append':
                    case 'boom':
                      return store.append(cmd.events);
                    case 'undo':
                      return store.undo();
                    case 'redo':
                      return store.redo();
                    case 'revert': {
                      const target = targetOf(cmd.pick);
                      return target === undefined ? Promise.resolve() : store.revert(target);
                    }
                    case 'reopen':
                      return Promise.resolve();
                    default:
                      throw new Error(`unknown command ${JSON.stringify(cmd)}`);
                  }
                });
                const settled = await Promise.allSettled(calls);
                // The model runs the same commands in call order; `expected` is the commits the
                // group should have added to the log, in order.
                const expected: { type: string; target?: string; commit?: string }[] = [];
                for (const [i, cmd] of group.entries()) {
                  const outcome = settled[i]!;
                  const context = `group ${g} call ${i} (${cmd.kind})`;
                  if (cmd.kind === 'boom') {
                    expect(outcome.status, context).toBe('rejected');
                    expect((outcome as PromiseRejectedResult).reason, context).toMatchObject({ name: 'ProjectionError' });
                    continue;
                  }
                  if (outcome.status === 'rejected') throw outcome.reason;
                  if (cmd.kind === 'append') {
                    const commit = (outcome.value as StoredEvent[])[0]!.commit;
                    model.append(commit);
                    expected.push({ type: 'append', commit });
                  } else if (cmd.kind === 'undo' || cmd.kind === 'redo') {
                    const target = cmd.kind === 'undo' ? model.undo() : model.redo();
                    expect(outcome.value, `${context}: return value`).toBe(target !== undefined);
                    if (target !== undefined) expected.push({ type: `$${cmd.kind}`, target });
                  } else if (cmd.kind === 'revert') {
                    const target = targetOf(cmd.pick);
                    if (target !== undefined && model.revert(target)) expected.push({ type: '$undo', target });
                  }
                }
                const added = await store.events({ after: headBefore });
                const byCommit: { type: string; target?: string; commit?: string }[] = [];
                for (const [i, e] of added.entries()) {
                  if (i > 0 && added[i - 1]!.commit === e.commit) continue; // the rest of a multi-event commit
                  if (e.type.startsWith('$')) byCommit.push({ type: e.type, target: (e.payload as { commit: string }).commit });
                  else byCommit.push({ type: 'append', commit: e.commit });
                }
                expect(byCommit, `group ${g}: commits added, in call order`).toEqual(expected);
                await expectMatchesReference(store, model, `group ${g}`);
                if (reopenBetween) {
                  await store.close();
                  store = await open(name, 2);
                }
              }
            } finally {
              await store.close();
            }
          },
        ),
        runs(25),
      );
    },
    TIMEOUT,
  );

  it(
    'a snapshot never changes what state is derived: snapshotEvery 0, 1, 2 and 5 give identical current and past states',
    async () => {
      await fc.assert(
        fc.asyncProperty(cmdsArb(25), async (cmds) => {
          const results: { states: unknown[]; past: unknown[][] }[] = [];
          for (const snapshotEvery of [0, 1, 2, 5]) {
            const { store } = await run(cmds, { name: dbName(`prop-snap${snapshotEvery}`), snapshotEvery, checkEachStep: false });
            try {
              const log = await store.events();
              results.push({ states: names.map((n) => normalise(n, store.get(n), log)), past: await timeline(store, log) });
            } finally {
              await store.close();
            }
          }
          for (const r of results.slice(1)) expect(r).toEqual(results[0]);
        }),
        runs(25),
      );
    },
    TIMEOUT,
  );

  it(
    'stateAt({ position: p }) equals a plain reduce over the prefix of events at positions <= p, for every p in 0..head+1',
    async () => {
      await fc.assert(
        fc.asyncProperty(cmdsArb(30), fc.constantFrom(0, 1, 2, 5), fc.boolean(), async (cmds, snapshotEvery, reopenAtEnd) => {
          const name = dbName('prop-tt');
          let { store } = await run(cmds, { name, snapshotEvery, checkEachStep: false });
          try {
            if (reopenAtEnd) {
              await store.close();
              store = await open(name, snapshotEvery);
            }
            const log = await store.events();
            for (let p = 0; p <= log.length + 1; p++) {
              const prefix = log.filter((e) => e.position <= p);
              for (const n of names) {
                expect(await store.stateAt(n, { position: p }), `stateAt(${n}, ${p}) of ${log.length}`).toEqual(reference(n, prefix));
              }
            }
            for (const n of names) expect(await store.stateAt(n, { position: log.length })).toEqual(store.get(n));
          } finally {
            await store.close();
          }
        }),
        runs(30),
      );
    },
    TIMEOUT,
  );

  it(
    'stateAt({ time: t }) equals a plain reduce over the events (and markers) with time <= t, also when the clock goes backwards',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          cmdsArb(20),
          fc.array(fc.integer({ min: -3, max: 4 }), { minLength: 20, maxLength: 20 }),
          fc.constantFrom(0, 1, 2, 5),
          async (cmds, steps, snapshotEvery) => {
            // A controlled clock: each command runs at its own time, which may go backwards.
            let now = 1_000_000;
            const clock = vi.spyOn(Date, 'now').mockImplementation(() => now);
            const name = dbName('prop-time');
            let store = await open(name, snapshotEvery);
            try {
              for (const [i, cmd] of cmds.entries()) {
                now += steps[i % steps.length]!;
                store = await runOne(store, cmd, name, snapshotEvery);
              }
              const log = await store.events();
              const times = [...new Set(log.map((e) => e.time))].sort((a, b) => a - b);
              const probes = [...new Set([...times, ...times.map((t) => t - 1), ...times.map((t) => t + 0.5), now + 10])];
              for (const t of probes) {
                const visible = log.filter((e) => e.time <= t);
                for (const n of names) {
                  expect(await store.stateAt(n, { time: t }), `stateAt(${n}, time ${t})`).toEqual(reference(n, visible));
                }
              }
            } finally {
              clock.mockRestore();
              await store.close();
            }
          },
        ),
        runs(25),
      );
    },
    TIMEOUT,
  );
});
