/**
 * Undo/redo as data (src/core/markers.ts) on its own: which events are markers, which commits
 * a view of the log sees undone, where a replay may start from a snapshot, and what undo()
 * and redo() of a client act on (HistoryWalk).
 */
import { describe, expect, it } from 'vitest';
import { REDO, UNDO, type StoredEvent } from '../../../src/core/event.ts';
import { HistoryWalk, inView, MarkerLog, markerOf, type Marker } from '../../../src/core/markers.ts';

function event(position: number, fields: Partial<StoredEvent> = {}): StoredEvent {
  return {
    id: `e${position}`,
    type: 'added',
    payload: null,
    stream: 'default',
    position,
    pending: false,
    clientId: 'me',
    commit: `k${position}`,
    time: 100 * position,
    ...fields,
  };
}

/** The marker of an `$undo` (or `$redo`) of `target` at `position`, made at time 100 × position. */
function marker(position: number, target: string, undo = true): Marker {
  return { position, undo, target, clientId: 'me', time: 100 * position, revert: false };
}

/** A log whose commits start at the given positions, with the given markers. */
function log(firsts: Record<string, number>, markers: Marker[]): MarkerLog {
  const markerLog = new MarkerLog();
  for (const [commit, first] of Object.entries(firsts)) markerLog.setFirst(commit, first);
  for (const m of markers) markerLog.add(m);
  return markerLog;
}

const sorted = (set: Set<string>) => [...set].sort();

describe('markerOf()', () => {
  it('reads $undo and $redo events', () => {
    expect(markerOf(event(4, { type: UNDO, payload: { commit: 'k1' }, clientId: 'ann', time: 42 }))).toEqual({
      position: 4,
      undo: true,
      target: 'k1',
      clientId: 'ann',
      time: 42,
      revert: false,
    });
    expect(markerOf(event(5, { type: REDO, payload: { commit: 'k1' } }))).toMatchObject({ position: 5, undo: false, target: 'k1' });
  });

  it('tells markers made by revert() apart', () => {
    expect(markerOf(event(4, { type: UNDO, payload: { commit: 'k1' }, meta: { revert: true } }))?.revert).toBe(true);
    expect(markerOf(event(4, { type: REDO, payload: { commit: 'k1' }, meta: { revert: true } }))?.revert).toBe(true);
    expect(markerOf(event(4, { type: UNDO, payload: { commit: 'k1' }, meta: { revert: 'yes' } }))?.revert).toBe(false);
    expect(markerOf(event(4, { type: UNDO, payload: { commit: 'k1' }, meta: { by: 'ann' } }))?.revert).toBe(false);
  });

  it('is undefined for other events, even one whose payload names a commit', () => {
    expect(markerOf(event(1, { payload: { commit: 'k0' } }))).toBeUndefined();
    expect(markerOf(event(1, { type: '$other', payload: { commit: 'k0' } }))).toBeUndefined();
  });

  it('is undefined for a marker without a commit it names', () => {
    expect(markerOf(event(2, { type: UNDO, payload: null }))).toBeUndefined();
    expect(markerOf(event(2, { type: UNDO, payload: {} }))).toBeUndefined();
    expect(markerOf(event(2, { type: REDO, payload: { commit: 7 } }))).toBeUndefined();
  });
});

describe('inView()', () => {
  it('head sees everything; a position or time view what is at or before it', () => {
    expect(inView('head', 1e9, 1e12)).toBe(true);
    expect(inView({ position: 5 }, 5, 1e12)).toBe(true);
    expect(inView({ position: 5 }, 6, 0)).toBe(false);
    expect(inView({ time: 500 }, 1e9, 500)).toBe(true);
    expect(inView({ time: 500 }, 1, 501)).toBe(false);
  });
});

describe('MarkerLog: what is undone', () => {
  it('a commit is undone where the last marker for it is an $undo', () => {
    const markers = log({ k1: 1, k2: 2 }, [marker(3, 'k1'), marker(4, 'k2'), marker(5, 'k1', false)]);
    expect(sorted(markers.undone('head'))).toEqual(['k2']);
    expect(markers.isUndone('k2')).toBe(true);
    expect(markers.isUndone('k1')).toBe(false);
    expect(sorted(markers.undone({ position: 4 }))).toEqual(['k1', 'k2']);
    expect(sorted(markers.undone({ position: 3 }))).toEqual(['k1']);
    expect(sorted(markers.undone({ position: 2 }))).toEqual([]);
    expect(sorted(markers.undone({ time: 400 }))).toEqual(['k1', 'k2']);
    expect(sorted(markers.undone({ time: 499 }))).toEqual(['k1', 'k2']);
    expect(sorted(markers.undone({ time: 500 }))).toEqual(['k2']);
  });

  it('the head answer follows markers added and forgotten, and past views do not change it', () => {
    const markers = log({ k1: 1 }, [marker(2, 'k1')]);
    expect(markers.isUndone('k1')).toBe(true);
    expect(sorted(markers.undone({ position: 1 }))).toEqual([]);
    expect(sorted(markers.undone('head'))).toEqual(['k1']);
    expect(markers.isUndone('k1')).toBe(true);
    markers.add(marker(3, 'k1', false));
    expect(markers.isUndone('k1')).toBe(false);
    expect(sorted(markers.undone({ position: 2 }))).toEqual(['k1']);
    expect(markers.isUndone('k1')).toBe(false);
    markers.truncate(3);
    expect(markers.isUndone('k1')).toBe(true);
    markers.truncate(2);
    expect(markers.isUndone('k1')).toBe(false);
    expect(markers.size).toBe(0);
  });

  it('a past view asked first does not stand in for the head', () => {
    const markers = log({ k1: 1 }, [marker(2, 'k1'), marker(3, 'k1', false)]);
    expect(sorted(markers.undone({ position: 2 }))).toEqual(['k1']);
    expect(sorted(markers.undone('head'))).toEqual([]);
    expect(sorted(markers.undone({ position: 2 }))).toEqual(['k1']);
  });

  it('orders markers by position whatever order they are added in', () => {
    const markers = log({ k1: 1 }, [marker(5, 'k1', false), marker(2, 'k1'), marker(9, 'k1'), marker(7, 'k1', false)]);
    expect(markers.size).toBe(4);
    expect(markers.isUndone('k1')).toBe(true);
    expect(sorted(markers.undone({ position: 8 }))).toEqual([]);
    expect(sorted(markers.undone({ position: 4 }))).toEqual(['k1']);
    markers.truncate(9);
    expect(markers.isUndone('k1')).toBe(false);
  });

  it('truncate() forgets markers and first positions from a position on', () => {
    const markers = log({ k1: 1, k2: 4, k3: 6 }, [marker(5, 'k1'), marker(7, 'k2'), marker(8, 'k9')]);
    markers.truncate(6);
    expect(markers.size).toBe(1);
    expect(markers.firstOf('k1')).toBe(1);
    expect(markers.firstOf('k2')).toBe(4);
    expect(markers.firstOf('k3')).toBeUndefined();
    expect(sorted(markers.undone('head'))).toEqual(['k1']);
    markers.truncate(100);
    expect(markers.size).toBe(1);
    expect(markers.firstOf('k2')).toBe(4);
  });

  it('unknownTargets() lists each target whose first position is not known, once', () => {
    const markers = log({ k1: 1 }, [marker(3, 'k1'), marker(4, 'k2'), marker(5, 'k2', false), marker(6, 'k3'), marker(7, 'k1', false)]);
    expect(markers.unknownTargets().sort()).toEqual(['k2', 'k3']);
    markers.setFirst('k3', 2);
    expect(markers.unknownTargets()).toEqual(['k2']);
    expect(markers.firstOf('k3')).toBe(2);
    expect(new MarkerLog().unknownTargets()).toEqual([]);
  });

  it('clone() is a copy that changes on its own', () => {
    const markers = log({ k1: 1 }, [marker(2, 'k1')]);
    const copy = markers.clone();
    expect(copy.size).toBe(1);
    expect(copy.isUndone('k1')).toBe(true);
    expect(copy.firstOf('k1')).toBe(1);
    copy.add(marker(3, 'k1', false));
    copy.setFirst('k5', 5);
    expect(copy.isUndone('k1')).toBe(false);
    expect(markers.isUndone('k1')).toBe(true);
    expect(markers.size).toBe(1);
    expect(markers.firstOf('k5')).toBeUndefined();
    markers.truncate(1);
    expect(copy.firstOf('k1')).toBe(1);
    expect(copy.size).toBe(2);
  });
});

describe('MarkerLog: where a replay may start', () => {
  // k1 at 1..2, k2 at 3, k3 at 4..5; then $undo k2 at 6, $undo k3 at 8, $redo k1 at 9.
  const firsts = { k1: 1, k2: 3, k3: 4 };
  const markers = () => log(firsts, [marker(6, 'k2'), marker(8, 'k3'), marker(9, 'k1', false)]);

  it('validStart(): a state is a valid start unless a later marker in the view targets a commit it contains', () => {
    const m = markers();
    expect(m.validStart(2, 'head')).toBe(false); // $redo k1 at 9
    expect(m.validStart(3, { position: 7 })).toBe(false); // $undo k2 at 6
    expect(m.validStart(2, { position: 7 })).toBe(true); // k2 starts after 2
    expect(m.validStart(4, { position: 7 })).toBe(false);
    expect(m.validStart(4, { position: 8 })).toBe(false);
    expect(m.validStart(6, { position: 8 })).toBe(false); // $undo k3 at 8
    expect(m.validStart(6, { position: 7 })).toBe(true); // the $undo at 6 is in the state at 6
    expect(m.validStart(9, 'head')).toBe(true);
    expect(m.validStart(8, 'head')).toBe(false);
    expect(m.validStart(2, { time: 599 })).toBe(true);
    expect(m.validStart(3, { time: 600 })).toBe(false);
  });

  it('validStart() skips markers outside the view, wherever they are', () => {
    // $undo k1 at 4 is in view at 5; the $redo at 6 and the $undo at 7 are not.
    const m = log({ k1: 1, k2: 2 }, [marker(4, 'k2'), marker(6, 'k1', false), marker(7, 'k1')]);
    expect(m.validStart(3, { position: 5 })).toBe(false);
    expect(m.validStart(1, { position: 5 })).toBe(true);
    expect(m.validStart(1, { position: 6 })).toBe(false);
    expect(m.validStart(1, { time: 500 })).toBe(true);
  });

  it('validStart() does not hold a marker against a commit whose start is unknown', () => {
    const m = log({}, [marker(5, 'gone')]);
    expect(m.validStart(2, 'head')).toBe(true);
  });

  it('latestValidStart(): the highest valid start for the head at or below a position', () => {
    const m = markers();
    expect(m.latestValidStart(9)).toBe(9);
    expect(m.latestValidStart(12)).toBe(12);
    // The $redo of k1 at 9 needs a state before k1; no lower position escapes it.
    expect(m.latestValidStart(8)).toBe(0);
    expect(m.latestValidStart(5)).toBe(0);
  });

  it('latestValidStart() moves down past each commit a later marker targets, and no further', () => {
    const m = log({ k1: 1, k2: 3, k3: 5 }, [marker(6, 'k3'), marker(7, 'k2')]);
    expect(m.latestValidStart(7)).toBe(7);
    expect(m.latestValidStart(6)).toBe(2); // k2 (3) below k3 (5): both, in one or more steps
    expect(m.latestValidStart(5)).toBe(2);
    expect(m.latestValidStart(4)).toBe(2);
    expect(m.latestValidStart(3)).toBe(2);
    expect(m.latestValidStart(2)).toBe(2);
    expect(m.latestValidStart(1)).toBe(1);
  });

  it('latestValidStart() follows a chain: moving below one commit can bring another marker in', () => {
    // k1 from 2, $undo k1 at 5; k3 from 4, $undo k3 at 7. Below k3 (3) the $undo at 5 is
    // later than the start and targets k1: below k1 too.
    const m = log({ k1: 2, k3: 4 }, [marker(5, 'k1'), marker(7, 'k3')]);
    expect(m.latestValidStart(7)).toBe(7);
    expect(m.latestValidStart(6)).toBe(1);
    expect(m.latestValidStart(4)).toBe(1);
    expect(m.latestValidStart(3)).toBe(1);
    expect(m.latestValidStart(1)).toBe(1);
  });

  it('latestValidStart() ignores markers of commits not known', () => {
    const m = log({ k1: 1 }, [marker(6, 'unknown')]);
    expect(m.latestValidStart(5)).toBe(5);
  });

  it('earliestTarget(): the lowest known first position among the markers targets', () => {
    const m = markers();
    expect(m.earliestTarget([marker(10, 'k3'), marker(11, 'k2')])).toBe(3);
    expect(m.earliestTarget([marker(10, 'unknown'), marker(11, 'k3')])).toBe(4);
    expect(m.earliestTarget([marker(10, 'unknown')])).toBe(Infinity);
    expect(m.earliestTarget([])).toBe(Infinity);
  });
});

describe('HistoryWalk: what undo() and redo() act on', () => {
  /** Feeds `events` (newest first) until the walk says it is done; answers how many it took. */
  function walk(
    undone: Set<string>,
    events: Pick<StoredEvent, 'type' | 'payload' | 'commit' | 'meta'>[],
  ): { walk: HistoryWalk; fed: number } {
    const w = new HistoryWalk((commit) => undone.has(commit));
    let fed = 0;
    for (const e of events) {
      fed++;
      if (!w.feed(e)) break;
    }
    return { walk: w, fed };
  }
  const commit = (id: string) => ({ type: 'added', payload: null, commit: id });
  const undo = (target: string, meta?: Record<string, unknown>) => ({
    type: UNDO,
    payload: { commit: target },
    commit: `u-${target}`,
    ...(meta ? { meta } : {}),
  });
  const redo = (target: string, meta?: Record<string, unknown>) => ({
    type: REDO,
    payload: { commit: target },
    commit: `r-${target}`,
    ...(meta ? { meta } : {}),
  });

  it('nothing to act on in an empty history', () => {
    const w = new HistoryWalk(() => true);
    expect(w.undoTarget).toBeUndefined();
    expect(w.redoTarget).toBeUndefined();
    expect(w.done).toBe(false);
  });

  it('undo acts on the newest commit in effect, and the walk stops there', () => {
    const { walk: w, fed } = walk(new Set(['c3']), [commit('c3'), commit('c2'), commit('c1')]);
    expect(w.undoTarget).toBe('c2');
    expect(fed).toBe(2);
    expect(w.done).toBe(true);
    expect(w.redoTarget).toBeUndefined();
  });

  it('the undo target stays the newest one in effect however much older history is fed', () => {
    const w = new HistoryWalk(() => false);
    expect(w.feed(commit('c2'))).toBe(false);
    w.feed(commit('c1'));
    expect(w.undoTarget).toBe('c2');
  });

  it('feed() answers true while an answer is missing', () => {
    const w = new HistoryWalk((c) => c === 'c2');
    expect(w.feed(undo('c2'))).toBe(true);
    expect(w.done).toBe(false);
    expect(w.feed(commit('c2'))).toBe(true); // undone: undo needs an older commit
    expect(w.done).toBe(false);
    expect(w.feed(commit('c1'))).toBe(false);
    expect(w.done).toBe(true);
    expect(w.undoTarget).toBe('c1');
    expect(w.redoTarget).toBe('c2');
  });

  it('redo acts on the most recently undone commit since the last commit, minus those redone', () => {
    // Oldest first: c1, c2, c3, undo c3, undo c2, undo c1, redo c1.
    const undone = new Set(['c3', 'c2']);
    const { walk: w } = walk(undone, [redo('c1'), undo('c1'), undo('c2'), undo('c3'), commit('c3'), commit('c2'), commit('c1')]);
    expect(w.redoTarget).toBe('c2');
    expect(w.undoTarget).toBe('c1');
  });

  it('redo skips commits another replica has redone already', () => {
    const undone = new Set(['c1']);
    const { walk: w } = walk(undone, [undo('c2'), undo('c1'), commit('c2')]);
    expect(w.redoTarget).toBe('c1');
  });

  it('an undo of a commit redone fewer times than undone stays redoable', () => {
    // Oldest first: c1, undo c1, (another replica redoes c1), undo c1, redo c1, (another replica undoes c1).
    const { walk: w } = walk(new Set(['c1']), [redo('c1'), undo('c1'), undo('c1'), commit('c1')]);
    expect(w.redoTarget).toBe('c1');
  });

  it('an undo redone as often as undone is not redoable', () => {
    // Oldest first: c1, undo c1, redo c1, undo c1, redo c1; c1 undone again by another replica.
    const { walk: w } = walk(new Set(['c1']), [redo('c1'), undo('c1'), redo('c1'), undo('c1'), commit('c1')]);
    expect(w.redoTarget).toBeUndefined();
  });

  it('undos before the last commit are not redoable', () => {
    // Oldest first: c1, c2, undo c2, c3.
    const { walk: w } = walk(new Set(['c2']), [commit('c3'), undo('c2'), commit('c2'), commit('c1')]);
    expect(w.undoTarget).toBe('c3');
    expect(w.redoTarget).toBeUndefined();
    const older = new HistoryWalk((c) => c === 'c2');
    for (const e of [commit('c3'), undo('c2')]) older.feed(e);
    expect(older.redoTarget).toBeUndefined();
  });

  it('markers made by revert() are not part of the history', () => {
    const undone = new Set(['c1', 'c2']);
    const { walk: w } = walk(undone, [undo('c2', { revert: true }), undo('c1'), commit('c2'), commit('c1')]);
    expect(w.redoTarget).toBe('c1');
    // A revert's $redo does not cancel an undo() either.
    const { walk: w2 } = walk(new Set(['c1']), [redo('c1', { revert: true }), undo('c1'), commit('c1')]);
    expect(w2.redoTarget).toBe('c1');
    // Only `revert: true` marks a revert.
    const { walk: w3 } = walk(undone, [undo('c2', { revert: 'no' }), undo('c1'), commit('c2')]);
    expect(w3.redoTarget).toBe('c2');
  });

  it('markers without a target commit are ignored', () => {
    const { walk: w } = walk(new Set(['c1']), [
      { type: UNDO, payload: null, commit: 'u' },
      { type: REDO, payload: { commit: 3 }, commit: 'r' },
      undo('c1'),
      commit('c1'),
    ]);
    expect(w.redoTarget).toBe('c1');
  });
});
