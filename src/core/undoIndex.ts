/**
 * What undo() and redo() of one client act on, kept up to date as the log grows, so that
 * neither they nor the canUndo/canRedo flags walk back over every commit undone so far
 * (the rules are HistoryWalk's, ./markers.ts; this is a cache of its answers).
 *
 * Invariants (for the head view of the log):
 * 1. `live` is exactly this client's non-marker commits whose first position is >= `from`
 *    and that are in effect (not undone), oldest first. `from` = 0: the whole log.
 * 2. `redo`, when known, is the client's redo stack, most recently undone last: the targets
 *    of its undo() markers since its last non-marker commit, minus those it redid since.
 * 3. The value is immutable: every change makes a new one (a draft's checkpoint
 *    keeps the old one by reference).
 */
import type { StoredEvent } from './event.ts';
import { markerOf, type Marker, type MarkerLog } from './markers.ts';

/** The index as a database keeps it (JSON-safe): see fromSaved() for its checks. */
export interface SavedUndoIndex {
  from: number;
  live: [position: number, commit: string][];
  redo?: string[];
}

export interface LiveCommit {
  /** Where the commit starts. */
  readonly position: number;
  readonly commit: string;
}

/**
 * At most this many live commits are kept (each change copies the list); an older one is
 * found again by a walk, which stops at the first live commit below (short unless every
 * commit in between was undone, and those are what the list is for).
 */
const LIVE = 256;

export class UndoIndex {
  private constructor(
    readonly from: number,
    readonly live: readonly LiveCommit[],
    readonly redo: readonly string[] | undefined,
  ) {}

  /** Nothing known: both answers need a walk of the log from the head down. */
  static unknown(head: number): UndoIndex {
    return new UndoIndex(head + 1, [], undefined);
  }

  /**
   * What a walk from the head found: the undo target and where it starts (or none in the
   * whole log), and the redo stack (most recently undone first, as the walk met it).
   */
  static walked(target: LiveCommit | undefined, redoNewestFirst: readonly string[]): UndoIndex {
    return new UndoIndex(target?.position ?? 0, target ? [target] : [], [...redoNewestFirst].reverse());
  }

  /** Is the undo target known without reading the log? */
  get undoKnown(): boolean {
    return this.live.length > 0 || this.from === 0;
  }

  /** The commit undo() acts on, if known (see undoKnown). */
  get undoTarget(): string | undefined {
    return this.live.at(-1)?.commit;
  }

  /** The commit redo() acts on: the most recently undone one still undone (the stack must be known). */
  redoTarget(isUndone: (commit: string) => boolean): string | undefined {
    const redo = this.redo ?? [];
    for (let i = redo.length - 1; i >= 0; i--) if (isUndone(redo[i]!)) return redo[i];
    return undefined;
  }

  /** What a walk below `from` found: the newest live commit before it, or none in the log. */
  extended(target: LiveCommit | undefined): UndoIndex {
    if (this.live.length > 0) return this;
    return new UndoIndex(target?.position ?? 0, target ? [target] : [], this.redo);
  }

  /** A new non-marker commit of this client at the head: the undo target; nothing to redo. */
  withCommit(position: number, commit: string): UndoIndex {
    return UndoIndex.#capped(this.from, [...this.live, { position, commit }], []);
  }

  /**
   * A marker was applied. `undone`: its target's status now; `first`: where the target
   * starts; `own`: whether the target is this client's (undefined: not known); `mine`:
   * whether this client made the marker (by undo()/redo()/revert()).
   */
  withMarker(marker: Marker, change: { undone: boolean; first: number | undefined; own: boolean | undefined; mine: boolean }): UndoIndex {
    let redo = this.redo;
    if (change.mine && !marker.revert && redo) {
      if (marker.undo) redo = [...redo, marker.target];
      else {
        const i = redo.lastIndexOf(marker.target);
        if (i >= 0) redo = [...redo.slice(0, i), ...redo.slice(i + 1)];
      }
    }
    const at = this.live.findLastIndex((c) => c.commit === marker.target);
    if (change.undone) {
      return new UndoIndex(this.from, at < 0 ? this.live : [...this.live.slice(0, at), ...this.live.slice(at + 1)], redo);
    }
    const first = change.first;
    if (at >= 0 || first === undefined || first < this.from || change.own === false) return new UndoIndex(this.from, this.live, redo);
    if (change.own === undefined) {
      // Whose commit it is is not known: keep only what lies after it.
      return new UndoIndex(
        first + 1,
        this.live.filter((c) => c.position > first),
        redo,
      );
    }
    const i = this.live.findLastIndex((c) => c.position < first) + 1;
    return UndoIndex.#capped(
      this.from,
      [...this.live.slice(0, i), { position: first, commit: marker.target }, ...this.live.slice(i)],
      redo,
    );
  }

  /**
   * After applied events (whole commits, in log order) of `clientId` (this client) and
   * others, as the log's markers now stand. `ownTarget`: whether another client's marker
   * names one of this client's commits, where known (undefined: not known).
   */
  withEvents(
    events: readonly StoredEvent[],
    clientId: string,
    markers: Pick<MarkerLog, 'isUndone' | 'firstOf'>,
    ownTarget?: (commit: string, first: number) => boolean | undefined,
  ): UndoIndex {
    let index: UndoIndex = this;
    for (let i = 0; i < events.length; ) {
      let j = i + 1;
      while (j < events.length && events[j]!.commit === events[i]!.commit) j++;
      index = index.#applied(events[i]!, events[i]!.clientId === clientId, markers, ownTarget);
      i = j;
    }
    return index;
  }

  /** After one applied commit (`first`: its first event) of this client (`mine`) or another's. */
  #applied(
    first: StoredEvent,
    mine: boolean,
    markers: Pick<MarkerLog, 'isUndone' | 'firstOf'>,
    ownTarget?: (commit: string, first: number) => boolean | undefined,
  ): UndoIndex {
    const marker = markerOf(first);
    if (!marker) return mine ? this.withCommit(first.position, first.commit) : this;
    const { target } = marker;
    const at = markers.firstOf(target);
    // Only an $undo (revert()) of this client names another's commit.
    const own = mine ? (marker.undo ? undefined : true) : at === undefined ? undefined : ownTarget?.(target, at);
    return this.withMarker(marker, { undone: markers.isUndone(target), first: at, own, mine });
  }

  toSaved(): SavedUndoIndex {
    const saved: SavedUndoIndex = { from: this.from, live: this.live.map((c) => [c.position, c.commit]) };
    if (this.redo) saved.redo = [...this.redo];
    return saved;
  }

  /** The index a database kept, if it is one (anything else: undefined, and a walk finds it again). */
  static fromSaved(saved: unknown): UndoIndex | undefined {
    if (typeof saved !== 'object' || saved === null) return undefined;
    const { from, live, redo } = saved as Partial<Record<keyof SavedUndoIndex, unknown>>;
    if (!Number.isSafeInteger(from) || (from as number) < 0 || !Array.isArray(live) || live.length > LIVE) return undefined;
    const entries: LiveCommit[] = [];
    for (const entry of live) {
      if (!Array.isArray(entry) || !Number.isSafeInteger(entry[0]) || typeof entry[1] !== 'string') return undefined;
      const position = entry[0] as number;
      if (position < (from as number) || (entries.length > 0 && position <= entries.at(-1)!.position)) return undefined;
      entries.push({ position, commit: entry[1] });
    }
    if (redo !== undefined && !(Array.isArray(redo) && redo.every((c) => typeof c === 'string'))) return undefined;
    return new UndoIndex(from as number, entries, redo as string[] | undefined);
  }

  static #capped(from: number, live: readonly LiveCommit[], redo: readonly string[] | undefined): UndoIndex {
    if (live.length <= LIVE) return new UndoIndex(from, live, redo);
    const kept = live.slice(live.length - LIVE);
    return new UndoIndex(kept[0]!.position, kept, redo);
  }
}
