import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { isInvalidEventError, isProjectionError, type CreateStoreOptions, type Store } from '../../src/index.ts';
import { bank, countingProjection, dbName, projections, referenceState, todos, type Todo } from '../support/fixtures.ts';
import { counting } from '../support/readCounter.ts';
import { rejection } from '../support/rejection.ts';
import { storesPerTest } from '../support/stores.ts';

const stores = storesPerTest();
function store(options: Partial<CreateStoreOptions> = {}): Promise<Store> {
  return stores.open({ name: dbName(), projections, ...options });
}

const ids = (s: Store) => s.get<Todo[]>('todos').map((t) => t.id);
const add = (s: Store, id: string) => s.append({ type: 'added', payload: { id, title: id } });

describe('undo and redo', () => {
  it('undoes the latest own commit with an $undo marker and reports false when nothing is left', async () => {
    const s = await store();
    expect(await s.undo()).toBe(false);
    expect(s.status.canUndo).toBe(false);
    const [a] = await add(s, 'a');
    await s.append([
      { type: 'added', payload: { id: 'b' } },
      { type: 'added', payload: { id: 'c' } },
    ]);
    expect(await s.undo()).toBe(true);
    expect(ids(s)).toEqual(['a']);
    const marker = (await s.events({ reverse: true, limit: 1 }))[0];
    expect(marker).toMatchObject({ type: '$undo', position: 4, clientId: s.clientId });
    expect(marker?.payload).toEqual({ commit: (await s.events({ after: 1, limit: 1 }))[0]?.commit });
    expect(await s.undo()).toBe(true);
    expect(ids(s)).toEqual([]);
    expect((await s.events())[4]?.payload).toEqual({ commit: a?.commit });
    expect(await s.undo()).toBe(false);
    expect(s.status).toMatchObject({ canUndo: false, canRedo: true, head: 5 });
  });

  it('redoes in reverse order of undoing, as an editor does', async () => {
    const s = await store();
    await add(s, 'a');
    await add(s, 'b');
    await add(s, 'c');
    await s.undo();
    await s.undo();
    expect(ids(s)).toEqual(['a']);
    expect(await s.redo()).toBe(true);
    expect(ids(s)).toEqual(['a', 'b']);
    expect(await s.redo()).toBe(true);
    expect(ids(s)).toEqual(['a', 'b', 'c']);
    expect(await s.redo()).toBe(false);
    expect(s.status.canRedo).toBe(false);
    expect((await s.events()).map((e) => e.type).slice(3)).toEqual(['$undo', '$undo', '$redo', '$redo']);
  });

  it('undoes a redone commit again, and redo after that', async () => {
    const s = await store();
    await add(s, 'a');
    await add(s, 'b');
    await s.undo();
    await s.redo();
    expect(await s.undo()).toBe(true);
    expect(ids(s)).toEqual(['a']);
    expect(await s.redo()).toBe(true);
    expect(ids(s)).toEqual(['a', 'b']);
  });

  it('forgets the redo history once a new commit is appended', async () => {
    const s = await store();
    await add(s, 'a');
    await add(s, 'b');
    await s.undo();
    expect(s.status.canRedo).toBe(true);
    await add(s, 'c');
    expect(s.status.canRedo).toBe(false);
    expect(await s.redo()).toBe(false);
    expect(ids(s)).toEqual(['a', 'c']);
  });

  it('never targets a marker: undo after undo reaches the commit before', async () => {
    const s = await store();
    await add(s, 'a');
    await add(s, 'b');
    await s.undo();
    await s.undo();
    expect(ids(s)).toEqual([]);
    const markers = (await s.events({ type: ['$undo', '$redo'] })).map((e) => (e.payload as { commit: string }).commit);
    const commits = (await s.events({ type: 'added' })).map((e) => e.commit);
    expect(markers).toEqual([commits[1], commits[0]]);
  });

  it("undoes only this client's commits; another client's stay", async () => {
    const name = dbName();
    const mine = await store({ name, clientId: 'me' });
    const theirs = await store({ name, clientId: 'them' });
    await add(mine, 'mine');
    await add(theirs, 'theirs');
    expect(await mine.undo()).toBe(true);
    expect(ids(mine)).toEqual(['theirs']);
    expect(await mine.undo()).toBe(false);
    expect(mine.status.canUndo).toBe(false);
  });

  it('undo() costs the same however many commits were undone before it: no walk back over them', async () => {
    const name = dbName('undo-run');
    const s = await store({ name });
    await s.append([
      { type: 'added', payload: { id: 'kept' } },
      { type: 'added', payload: { id: 'kept2' } },
    ]);
    // More one-event commit + undo pairs than the own events kept in memory (2048 events).
    for (let i = 0; i < 1100; i++) {
      await add(s, `x${i}`);
      expect(await s.undo()).toBe(true);
    }
    const pair = () =>
      counting(async () => {
        await add(s, 'y');
        return s.undo();
      });
    const { value, records } = await pair();
    expect(value).toBe(true);
    expect(records).toBe(0); // undo() and the canUndo/canRedo after it read no record
    expect(s.status).toMatchObject({ canUndo: true, canRedo: true });
    expect(ids(s)).toEqual(['kept', 'kept2']);
    // After a reopen the history is walked once (at start-up); undo() then reads nothing more.
    await s.close();
    const again = await store({ name });
    expect(again.status).toMatchObject({ canUndo: true, canRedo: true });
    const after = await counting(async () => {
      await add(again, 'z');
      return again.undo();
    });
    expect(after.records).toBe(0);
    expect(again.status).toMatchObject({ canUndo: true, canRedo: true });
    // Undoing the first commit replays the log after it (that is the work); the walk is not.
    expect(await again.undo()).toBe(true);
    expect(ids(again)).toEqual([]);
    expect(again.status).toMatchObject({ canUndo: false, canRedo: true });
    expect(await again.redo()).toBe(true);
    expect(ids(again)).toEqual(['kept', 'kept2']);
  });

  it('after a reopen, undo() finds the commit before a long undone run without walking back over it', async () => {
    const name = dbName('undo-run-reopen');
    let s = await store({ name });
    await s.append([{ type: 'added', payload: { id: 'kept' } }]);
    for (let i = 0; i < 1100; i++) {
      await add(s, `x${i}`);
      await s.undo();
    }
    const reopen = async () => {
      await s.close();
      s = await store({ name });
    };
    // Start-up walks back over the run to 'kept' once; the first write after it keeps what it found.
    await reopen();
    await add(s, 'z');
    await reopen();
    // Undo 'z', then the flags: 'kept' next, found without reading the run (z's record at most).
    const { value, records } = await counting(() => s.undo());
    expect(value).toBe(true);
    expect(records).toBeLessThanOrEqual(1);
    expect(s.status).toMatchObject({ canUndo: true, canRedo: true });
    expect(await s.undo()).toBe(true);
    expect(ids(s)).toEqual([]);
    expect(await s.undo()).toBe(false);
  });

  it('keeps undo/redo state across a reopen, since it is derived from the log', async () => {
    const name = dbName();
    const s = await stores.open({ name, projections });
    await add(s, 'a');
    await add(s, 'b');
    await add(s, 'c');
    await s.undo();
    await s.undo();
    await s.redo();
    await s.close();
    const again = await store({ name });
    expect(ids(again)).toEqual(['a', 'b']);
    expect(again.status).toMatchObject({ canUndo: true, canRedo: true });
    expect(await again.redo()).toBe(true);
    expect(ids(again)).toEqual(['a', 'b', 'c']);
    expect(await again.undo()).toBe(true);
    expect(ids(again)).toEqual(['a', 'b']);
  });
});

describe('revert', () => {
  it("undoes any commit, another client's included, with an $undo marker", async () => {
    const name = dbName();
    const mine = await store({ name, clientId: 'me' });
    const theirs = await store({ name, clientId: 'them' });
    const [t] = await add(theirs, 'theirs');
    await add(mine, 'mine');
    await mine.revert(t!.commit);
    expect(ids(mine)).toEqual(['mine']);
    const last = (await mine.events({ reverse: true, limit: 1 }))[0];
    expect(last).toMatchObject({ type: '$undo', payload: { commit: t!.commit }, clientId: 'me' });
    // a revert is not part of undo history: undo() still targets my own latest commit
    expect(await mine.undo()).toBe(true);
    expect(ids(mine)).toEqual([]);
  });

  it('appends nothing for a commit already undone', async () => {
    const s = await store();
    const [a] = await add(s, 'a');
    await s.revert(a!.commit);
    const head = s.status.head;
    await s.revert(a!.commit);
    expect(s.status.head).toBe(head);
  });

  it('leaves no marker of a revert that fails in a group commit: the revert beside it stands, the same revert fails again, undo goes on', async () => {
    const s = await store({ projections: { bank } });
    const [deposit] = await s.append({ type: 'deposit', payload: { n: 10 } });
    await s.append({ type: 'withdraw', payload: { n: 10 } });
    const [other] = await s.append({ type: 'other' });
    const [ok, bad] = await Promise.allSettled([s.revert(other!.commit), s.revert(deposit!.commit)]);
    expect(ok.status).toBe('fulfilled');
    expect(isProjectionError((bad as PromiseRejectedResult).reason)).toBe(true);
    expect((await s.events()).map((e) => e.type)).toEqual(['deposit', 'withdraw', 'other', '$undo']);
    // the same call on the same log fails the same way, and a later undo works
    expect(isProjectionError(await rejection(s.revert(deposit!.commit)))).toBe(true);
    await s.append({ type: 'deposit', payload: { n: 5 } });
    expect(await s.undo()).toBe(true);
    expect(s.get('bank')).toBe(0);
  });

  it('rejects an unknown commit and a marker commit with InvalidEventError, storing nothing', async () => {
    const s = await store();
    await add(s, 'a');
    await s.undo();
    const marker = (await s.events({ type: '$undo' }))[0]!;
    for (const commit of ['no-such-commit', marker.commit, '']) {
      expect(isInvalidEventError(await rejection(() => s.revert(commit)))).toBe(true);
    }
    expect(s.status.head).toBe(2);
  });

  it('recomputes a deep revert from the snapshot before it, not from the start', async () => {
    const { counting, calls } = countingProjection();
    const s = await store({ projections: { counting, todos }, snapshotEvery: 10 });
    for (let i = 0; i < 100; i++) await add(s, `t${i}`);
    const target = (await s.events({ after: 94, limit: 1 }))[0]!;
    calls.n = 0;
    await s.revert(target.commit);
    expect(s.get('counting')).toBe(99);
    expect(calls.n).toBeLessThanOrEqual(10);
    expect(s.get<Todo[]>('todos')).toEqual(referenceState(todos, await s.events()));
  });

  it('undoes and redoes a recent commit without replaying the events before it', async () => {
    const { counting, calls } = countingProjection();
    // 600 events since the last snapshot: a replay from it would call the reducer ~600 times.
    const s = await store({ projections: { counting, todos }, snapshotEvery: 1000 });
    await s.append(Array.from({ length: 600 }, (_, i) => ({ type: 'added', payload: { id: `b${i}` } })));
    await s.append({ type: 'added', payload: { id: 'x' } });
    await s.append([
      { type: 'added', payload: { id: 'y' } },
      { type: 'added', payload: { id: 'z' } },
    ]);
    calls.n = 0;
    expect(await s.undo()).toBe(true);
    expect(await s.undo()).toBe(true);
    expect(s.get('counting')).toBe(600);
    // Each undo starts from the state held in memory just before its commit; the undone
    // events themselves are skipped, so no reducer runs at all.
    expect(calls.n).toBe(0);
    expect(await s.redo()).toBe(true);
    expect(s.get('counting')).toBe(601);
    expect(calls.n).toBeLessThanOrEqual(2);
    expect(s.get<Todo[]>('todos')).toEqual(referenceState(todos, await s.events()));
  });

  it('a run of undo()s past the 8 newest commits replays once, then finds the states it passed; so does an undo() after a reopen', async () => {
    const { counting, calls } = countingProjection();
    const name = dbName('deep-undo');
    const s = await store({ name, projections: { counting, todos }, snapshotEvery: 1000 });
    await s.append(Array.from({ length: 600 }, (_, i) => ({ type: 'added', payload: { id: `b${i}` } })));
    for (let i = 0; i < 20; i++) await add(s, `c${i}`);
    calls.n = 0;
    for (let i = 0; i < 8; i++) expect(await s.undo()).toBe(true); // c19..c12: the states before them are in memory
    expect(calls.n).toBe(0);
    expect(await s.undo()).toBe(true); // c11: no state before it in memory, no snapshot: a replay from the start
    expect(calls.n).toBe(611);
    calls.n = 0;
    // That replay passed the states before c10..c4 (the 8 newest own commits it could start an undo from, c11's included).
    for (let i = 0; i < 7; i++) expect(await s.undo()).toBe(true);
    expect(calls.n).toBe(0);
    expect(s.get('counting')).toBe(604);
    expect(ids(s)).toEqual([...Array.from({ length: 600 }, (_, i) => `b${i}`), 'c0', 'c1', 'c2', 'c3']);

    // After a reopen, start-up's replay leaves the states before the newest commits too.
    await add(s, 'last');
    await s.close();
    const again = await store({ name, projections: { counting, todos }, snapshotEvery: 1000 });
    calls.n = 0;
    expect(await again.undo()).toBe(true);
    expect(calls.n).toBe(0);
    expect(again.get('counting')).toBe(604);
    expect(again.get<Todo[]>('todos')).toEqual(referenceState(todos, await again.events()));
  });

  it("a run of undo()s reads nothing of the log: what follows each target is this client's, in memory", async () => {
    const s = await store({ projections: { todos }, snapshotEvery: 1000 });
    await s.append(Array.from({ length: 300 }, (_, i) => ({ type: 'added', payload: { id: `b${i}` } })));
    for (let i = 0; i < 100; i++) await add(s, `c${i}`);
    let records = 0;
    for (let i = 0; i < 100; i++) records += (await counting(() => s.undo())).records;
    // The 100th undo replays the 198 events after its target (99 undone commits and their
    // markers): from memory, as every undo before it.
    expect(records).toBe(0);
    expect(ids(s)).toEqual(Array.from({ length: 300 }, (_, i) => `b${i}`));
  });

  it('an undo far back reads one snapshot, not every newer one that an earlier undo made unusable', async () => {
    const s = await store({ projections: { todos }, snapshotEvery: 100 });
    const commits: string[] = [];
    for (let i = 0; i < 1000; i++) commits.push((await add(s, `t${i}`))[0]!.commit);
    await s.revert(commits[149]!); // the snapshots at 200..1000 no longer fit the head
    const { value, snapshots } = await counting(() => s.revert(commits[949]!));
    expect(value).toBeUndefined();
    // The newest usable one at or before position 949 is at 100: found on the keys, read once.
    expect(snapshots).toBe(1);
    expect(s.get<Todo[]>('todos')).toEqual(referenceState(todos, await s.events()));
  });

  it('keeps undo and redo right when the app changes the events append() returned', async () => {
    const s = await store();
    await add(s, 'a');
    const [b] = await s.append({ type: 'added', payload: { id: 'b', title: 'B' }, stream: 'list' });
    // In-process, the engine keeps its own objects (undo() reads a recent commit from memory).
    (b as { stream: string }).stream = 'elsewhere';
    (b!.payload as { title: string }).title = 'changed by the app';
    expect(await s.undo()).toBe(true);
    const marker = (await s.events({ reverse: true, limit: 1 }))[0];
    expect(marker).toMatchObject({ type: '$undo', stream: 'list' });
    expect(await s.redo()).toBe(true);
    expect(s.get<Todo[]>('todos').find((t) => t.id === 'b')?.title).toBe('B');
    expect(s.get('todos')).toEqual(referenceState(todos, await s.events()));
  });
});
