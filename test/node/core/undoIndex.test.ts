/**
 * UndoIndex (src/core/undoIndex.ts) against HistoryWalk (src/core/markers.ts): kept up to
 * date one event at a time, and completed by the same walks the worker does
 * (src/worker/undoHistory.ts) only when it does not know, it must answer what a walk of the
 * whole history from the head answers, after any sequence of commits, undo(), redo() and
 * revert() by this client and another, and after being forgotten.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { REDO, UNDO, type StoredEvent } from '../../../src/core/event.ts';
import { HistoryWalk, MarkerLog, markerOf } from '../../../src/core/markers.ts';
import { UndoIndex, type LiveCommit } from '../../../src/core/undoIndex.ts';

type Who = 'me' | 'other';
type Event = Pick<StoredEvent, 'position' | 'type' | 'payload' | 'commit' | 'clientId' | 'meta'>;

/** An in-memory log with its markers, and the index as the worker keeps it for 'me'. */
class Model {
  readonly log: Event[] = [];
  readonly markers = new MarkerLog();
  index = UndoIndex.walked(undefined, []);
  walks = 0;
  #next = 0;

  undone = (commit: string): boolean => this.markers.isUndone(commit) && this.markers.firstOf(commit) !== undefined;

  commit(who: Who, size: number): void {
    const commit = `c${++this.#next}`;
    const first = this.log.length + 1;
    for (let i = 0; i < size; i++) this.log.push({ position: this.log.length + 1, type: 'added', payload: null, commit, clientId: who });
    this.markers.setFirst(commit, first);
    if (who === 'me') this.index = this.index.withCommit(first, commit);
  }

  /** A marker by `who`; `ownKnown`: whether the worker can tell that a foreign marker's target is ours. */
  mark(who: Who, type: typeof UNDO | typeof REDO, target: string, revert: boolean, ownKnown: boolean): void {
    const event: Event = { position: this.log.length + 1, type, payload: { commit: target }, commit: `m${++this.#next}`, clientId: who };
    if (revert) event.meta = { revert: true };
    this.log.push(event);
    const marker = markerOf(event as StoredEvent)!;
    this.markers.add(marker);
    const targetIsMine = this.log.find((e) => e.commit === target)?.clientId === 'me';
    const own = who === 'me' ? (marker.undo ? undefined : true) : ownKnown ? targetIsMine : undefined;
    this.index = this.index.withMarker(marker, {
      undone: this.markers.isUndone(target),
      first: this.markers.firstOf(target),
      own,
      mine: who === 'me',
    });
  }

  /** HistoryWalk over `who`'s events newest first, from `start` down. */
  walk(who: Who, start = this.log.length, undoOnly = false): HistoryWalk {
    const walk = new HistoryWalk(this.undone, undoOnly);
    for (let i = start - 1; i >= 0; i--) {
      const e = this.log[i]!;
      if (e.clientId === who && !walk.feed(e)) break;
    }
    return walk;
  }

  located(walk: HistoryWalk): LiveCommit | undefined {
    const commit = walk.undoTarget;
    return commit === undefined ? undefined : { commit, position: this.markers.firstOf(commit)! };
  }

  /** What the worker answers (src/worker/undoHistory.ts undoRedo): the index, walking only where it does not know. */
  answer(): { undo: string | undefined; redo: string | undefined } {
    if (this.index.redo === undefined) {
      this.walks++;
      const walk = this.walk('me');
      this.index = UndoIndex.walked(this.located(walk), walk.redoStack);
    } else if (!this.index.undoKnown) {
      this.walks++;
      this.index = this.index.extended(this.located(this.walk('me', this.index.from - 1, true)));
    }
    return { undo: this.index.undoTarget, redo: this.index.redoTarget(this.undone) };
  }

  /** A walk of the whole history from the head: the reference. */
  reference(who: Who = 'me'): { undo: string | undefined; redo: string | undefined } {
    const walk = this.walk(who);
    return { undo: walk.undoTarget, redo: walk.redoTarget };
  }
}

type Cmd =
  | { kind: 'commit'; who: Who; size: number }
  | { kind: 'undo' | 'redo'; who: Who }
  | { kind: 'revert'; who: Who; pick: number; ownKnown: boolean }
  | { kind: 'forget' };

const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  {
    arbitrary: fc.record({
      kind: fc.constant('commit' as const),
      who: fc.constantFrom<Who>('me', 'other'),
      size: fc.integer({ min: 1, max: 3 }),
    }),
    weight: 4,
  },
  {
    arbitrary: fc.record({ kind: fc.constantFrom('undo' as const, 'redo' as const), who: fc.constantFrom<Who>('me', 'me', 'other') }),
    weight: 5,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('revert' as const),
      who: fc.constantFrom<Who>('me', 'other'),
      pick: fc.nat(),
      ownKnown: fc.boolean(),
    }),
    weight: 1,
  },
  { arbitrary: fc.constant({ kind: 'forget' as const }), weight: 1 },
);

function run(model: Model, c: Cmd): void {
  switch (c.kind) {
    case 'commit':
      model.commit(c.who, c.size);
      return;
    case 'undo':
    case 'redo': {
      const { undo, redo } = c.who === 'me' ? model.answer() : model.reference('other');
      const target = c.kind === 'undo' ? undo : redo;
      if (target !== undefined) model.mark(c.who, c.kind === 'undo' ? UNDO : REDO, target, false, true);
      return;
    }
    case 'revert': {
      const commits = model.log.filter((e) => e.type === 'added' && !model.undone(e.commit));
      const target = commits[c.pick % Math.max(1, commits.length)]?.commit;
      if (target !== undefined) model.mark(c.who, UNDO, target, true, c.ownKnown);
      return;
    }
    case 'forget':
      model.index = UndoIndex.unknown(model.log.length);
  }
}

describe('UndoIndex: what undo() and redo() act on, without walking the history each time', () => {
  it('answers as a walk of the whole history does, after any sequence of operations by this client and another', () => {
    fc.assert(
      fc.property(fc.array(cmd, { maxLength: 80 }), (cmds) => {
        const model = new Model();
        for (const c of cmds) {
          run(model, c);
          expect(model.answer()).toEqual(model.reference());
        }
      }),
      { numRuns: 400 },
    );
  });

  it('after a long run of commits each undone, undo() finds the commit before the run without a walk', () => {
    const model = new Model();
    model.commit('me', 3); // c1: what stays in effect
    for (let i = 0; i < 1000; i++) {
      model.commit('me', 1);
      run(model, { kind: 'undo', who: 'me' });
      model.commit('other', 1);
    }
    const walks = model.walks;
    expect(model.answer()).toEqual({ undo: 'c1', redo: model.reference().redo });
    expect(model.walks).toBe(walks);
    expect(model.index.live.map((c) => c.commit)).toEqual(['c1']);
  });

  it('once forgotten, one walk finds both answers, and the next undo() needs only the walk below its target', () => {
    const model = new Model();
    for (let i = 0; i < 5; i++) model.commit('me', 2);
    model.index = UndoIndex.unknown(model.log.length);
    expect(model.answer()).toEqual({ undo: 'c5', redo: undefined });
    expect(model.index).toMatchObject({ from: 9, live: [{ commit: 'c5', position: 9 }], redo: [] });
    run(model, { kind: 'undo', who: 'me' });
    expect(model.index.undoKnown).toBe(false);
    expect(model.answer()).toEqual({ undo: 'c4', redo: 'c5' });
    expect(model.walks).toBe(2);
  });

  it('a redo by another replica of a commit it does not say is ours keeps only what lies after it', () => {
    const model = new Model();
    model.commit('me', 1); // c1 at 1
    model.commit('other', 1); // c2 at 2
    model.commit('me', 1); // c3 at 3
    model.mark('other', UNDO, 'c2', false, true);
    model.mark('other', REDO, 'c2', false, false); // unknown owner: c2 might be ours
    expect(model.index.from).toBe(3);
    expect(model.index.live.map((c) => c.commit)).toEqual(['c3']);
    expect(model.answer()).toEqual(model.reference());
  });

  it('leaves a commit made live below what it covers to the next walk (invariant 1)', () => {
    // Covers positions from 3: c3 live; a commit at 1 redone (by another tab of this client).
    const index = UndoIndex.walked({ position: 3, commit: 'c3' }, []);
    const redo = { position: 9, undo: false, target: 'c1', clientId: 'me', time: 0, revert: false };
    const after = index.withMarker(redo, { undone: false, first: 1, own: true, mine: false });
    expect(after.live.map((c) => c.commit)).toEqual(['c3']);
    expect(after.from).toBe(3);
    // Undone too, c3 leaves nothing known: a walk below 3 finds c1 (or a newer one) then.
    const undo = { ...redo, position: 10, undo: true, target: 'c3' };
    expect(after.withMarker(undo, { undone: true, first: 3, own: true, mine: false }).undoKnown).toBe(false);
  });

  it('keeps at most 256 live commits; an undo past them walks once', () => {
    const model = new Model();
    for (let i = 0; i < 300; i++) model.commit('me', 1);
    expect(model.index.live).toHaveLength(256);
    expect(model.index.from).toBe(45);
    for (let i = 0; i < 256; i++) run(model, { kind: 'undo', who: 'me' });
    expect(model.walks).toBe(0);
    expect(model.answer()).toEqual({ undo: 'c44', redo: 'c45' });
    expect(model.walks).toBe(1);
  });

  it('survives being kept in a database (toSaved/fromSaved), and anything else read back is refused', () => {
    const model = new Model();
    for (let i = 0; i < 5; i++) model.commit('me', 2);
    run(model, { kind: 'undo', who: 'me' });
    const saved = JSON.parse(JSON.stringify(model.index.toSaved())) as unknown;
    expect(UndoIndex.fromSaved(saved)).toEqual(model.index);
    for (const bad of [
      null,
      'x',
      { from: -1, live: [] },
      {
        from: 0,
        live: [
          [3, 'a'],
          [2, 'b'],
        ],
      },
      { from: 4, live: [[3, 'a']] },
      { from: 0, live: [[1, 7]] },
      { from: 0, live: [], redo: [1] },
      { from: 0.5, live: [] },
    ]) {
      expect(UndoIndex.fromSaved(bad), JSON.stringify(bad)).toBeUndefined();
    }
  });
});
