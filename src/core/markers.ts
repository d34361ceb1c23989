/**
 * Undo/redo as data. `$undo`/`$redo` markers are ordinary events whose payload names a
 * target commit; a commit is undone at a point of the log when the last marker for it at
 * or before that point is an `$undo`.
 *
 * Invariants:
 * 1. A marker is never a target of undo() (only revert() may name any non-marker commit).
 * 2. A marker always comes after its target in the log (it is made by a replica that has
 *    the target), so the status of a commit only changes after the commit itself.
 * 3. The state at position p honours only markers at positions <= p. So a snapshot at S
 *    is a valid start for a replay to a view V iff no marker in V after S targets a
 *    commit that starts at or before S: `validStart(S, V)`.
 */
import { REDO, UNDO, type StoredEvent } from './event.ts';

export interface Marker {
  readonly position: number;
  readonly undo: boolean;
  readonly target: string;
  readonly clientId: string;
  readonly time: number;
  /** Made by revert() rather than undo(): not part of the client's undo/redo history. */
  readonly revert: boolean;
}

/** Which markers a view of the log honours: all of them, those up to a position, or up to a time. */
export type View = { readonly position: number } | { readonly time: number } | 'head';

export function markerOf(event: StoredEvent): Marker | undefined {
  if (event.type !== UNDO && event.type !== REDO) return undefined;
  const target = (event.payload as { commit?: unknown } | null)?.commit;
  if (typeof target !== 'string') return undefined;
  return {
    position: event.position,
    undo: event.type === UNDO,
    target,
    clientId: event.clientId,
    time: event.time,
    revert: event.meta?.['revert'] === true,
  };
}

export function inView(view: View, position: number, time: number): boolean {
  if (view === 'head') return true;
  return 'position' in view ? position <= view.position : time <= view.time;
}

export class MarkerLog {
  #list: Marker[] = [];
  /** First position of each target commit; absent = not (yet) known, treated as after everything. */
  readonly #first = new Map<string, number>();
  #headUndone: Set<string> | undefined;

  clone(): MarkerLog {
    const copy = new MarkerLog();
    copy.#list = this.#list.slice();
    for (const [k, p] of this.#first) copy.#first.set(k, p);
    return copy;
  }

  get size(): number {
    return this.#list.length;
  }

  /** Targets whose first position is not known yet. */
  unknownTargets(): string[] {
    return [...new Set(this.#list.map((m) => m.target))].filter((t) => !this.#first.has(t));
  }

  setFirst(commit: string, position: number): void {
    this.#first.set(commit, position);
  }

  firstOf(commit: string): number | undefined {
    return this.#first.get(commit);
  }

  add(marker: Marker): void {
    const list = this.#list;
    let i = list.length;
    while (i > 0 && list[i - 1]!.position > marker.position) i--;
    list.splice(i, 0, marker);
    this.#headUndone = undefined;
  }

  /** Forgets markers and commit positions at positions >= `position` (the log changed from there). */
  truncate(position: number): void {
    const keep = this.#list.filter((m) => m.position < position);
    if (keep.length !== this.#list.length) {
      this.#list = keep;
      this.#headUndone = undefined;
    }
    for (const [commit, first] of this.#first) if (first >= position) this.#first.delete(commit);
  }

  /** Commits undone in a view. */
  undone(view: View): Set<string> {
    if (view === 'head' && this.#headUndone) return this.#headUndone;
    const status = new Map<string, boolean>();
    for (const m of this.#list) if (inView(view, m.position, m.time)) status.set(m.target, m.undo);
    const set = new Set<string>();
    for (const [commit, undone] of status) if (undone) set.add(commit);
    if (view === 'head') this.#headUndone = set;
    return set;
  }

  isUndone(commit: string): boolean {
    return this.undone('head').has(commit);
  }

  /** Invariant 3: can the state at `position` start a replay to `view`? */
  validStart(position: number, view: View): boolean {
    for (let i = this.#list.length - 1; i >= 0; i--) {
      const m = this.#list[i]!;
      if (m.position <= position) break;
      if (!inView(view, m.position, m.time)) continue;
      const first = this.#first.get(m.target);
      if (first !== undefined && first <= position) return false;
    }
    return true;
  }

  /** The highest position at or below `position` that is a valid start for the head view. */
  latestValidStart(position: number): number {
    let start = position;
    for (;;) {
      let lowered = start;
      for (let i = this.#list.length - 1; i >= 0 && this.#list[i]!.position > start; i--) {
        const first = this.#first.get(this.#list[i]!.target);
        if (first !== undefined) lowered = Math.min(lowered, first - 1); // first > start leaves it as is
      }
      if (lowered === start) return start;
      start = lowered;
    }
  }

  /** The lowest first position among the targets of `markers` (Infinity if none is known). */
  earliestTarget(markers: readonly Marker[]): number {
    let min = Infinity;
    for (const m of markers) min = Math.min(min, this.#first.get(m.target) ?? Infinity);
    return min;
  }
}

/**
 * Reads one client's history newest first and finds what undo() and redo() act on.
 * - undo target: the latest non-marker commit of the client that is in effect.
 * - redo stack: the commits undone by the client's undo() since its last non-marker
 *   commit, minus those it redid since, most recently undone first. redo() acts on the
 *   first of them still undone (another replica may have redone one already).
 * Markers made by revert() are not part of this history.
 */
export class HistoryWalk {
  undoTarget: string | undefined;
  /** The position of the undo target's newest event. */
  undoAt: number | undefined;
  readonly #redoStack: string[] = [];
  readonly #redone = new Map<string, number>();
  #redoComplete = false;

  /** `undoOnly`: the redo stack is known already; the walk ends with the undo target. */
  constructor(
    private readonly isUndone: (commit: string) => boolean,
    private readonly undoOnly = false,
  ) {}

  /** Feeds the client's next-older event; returns false once both answers are known. */
  feed(event: Pick<StoredEvent, 'type' | 'payload' | 'commit' | 'meta'> & { position?: number }): boolean {
    if (event.type === UNDO || event.type === REDO) {
      const target = (event.payload as { commit?: unknown } | null)?.commit;
      if (!this.#redoComplete && typeof target === 'string' && event.meta?.['revert'] !== true) {
        const redone = this.#redone.get(target) ?? 0;
        if (event.type === REDO) this.#redone.set(target, redone + 1);
        else if (redone > 0) this.#redone.set(target, redone - 1);
        else this.#redoStack.push(target);
      }
    } else {
      this.#redoComplete = true;
      if (this.undoTarget === undefined && !this.isUndone(event.commit)) {
        this.undoTarget = event.commit;
        this.undoAt = event.position;
      }
    }
    return !this.done;
  }

  get done(): boolean {
    return this.undoTarget !== undefined && (this.undoOnly || this.#redoComplete);
  }

  /** The redo stack as read, most recently undone first (complete once the walk is done or the log read to its start). */
  get redoStack(): readonly string[] {
    return this.#redoStack;
  }

  get redoTarget(): string | undefined {
    return this.#redoStack.find((commit) => this.isUndone(commit));
  }
}
