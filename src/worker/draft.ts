/**
 * A batch's draft of the engine's view (./view.ts), changed while the batch's transaction
 * prepares its operations; the engine installs `draft.view` only once that transaction
 * committed. Each operation runs between checkpoint() and either nothing (kept) or
 * rollback(), so a failed operation in a group commit leaves the others untouched.
 *
 * Invariants:
 * 1. `view.states` is the state of every projection at `view.head` (head view: all markers honoured).
 * 2. The stream versions (version()) are exact at `view.head`.
 * 3. Snapshots are captured only at new positions and only where valid (markers.validStart):
 *    every `every` positions, plus at the head after a marker forced a long recompute.
 * 4. `view.recent` holds the head states before the last few own commits, in memory snapshots
 *    with the same validity rule: undo() of a recent commit replays only from just before it.
 *    Entries are dropped past a rewind, and kept by the engine only once the batch commits.
 * 5. `view.own.events` are all of this client's events at positions >= `own.from` (what undo's
 *    history walk reads first): own commits are added as they are written or applied (from
 *    another tab, or back from the server); a rewind or a change of the compaction point
 *    empties it from the new head on. `own.from` is always where a commit starts, so undo()
 *    finds its target's events there.
 * 6. `view.undo` caches what undo() and redo() act on (core/undoIndex.ts): every commit applied
 *    updates it; what empties `own` (and restored history) empties it, and the next history
 *    walk (./undoHistory.ts) fills it again.
 */
import { isMarkerType, type StoredEvent } from '../core/event.ts';
import { markerOf, type MarkerLog } from '../core/markers.ts';
import { fold, type States } from '../core/replay.ts';
import { UndoIndex } from '../core/undoIndex.ts';
import { readCompaction } from '../storage/compactionMeta.ts';
import { countStream, readCommit } from '../storage/log.ts';
import type { LogDb, SnapshotRecord } from '../storage/schema.ts';
import { boundaries, captureAt, foldOptions, rebuild, recompute, type RebuildOptions } from './replayer.ts';
import { learnRestored, NeedsRestore, restoreBelow, type RestoredEvent } from './restore.ts';
import { StreamVersions } from './streamVersions.ts';
import { addOwn, remember } from './recent.ts';
import type { LogContext, LogView } from './view.ts';

export interface Checkpoint {
  readonly view: LogView;
  readonly journal: number;
  readonly snapshots: number;
}

export class Draft {
  /** The view as this batch has it now: replaced, never changed in place. */
  view: LogView;
  /** Snapshots captured for new positions, to write in the same transaction. */
  readonly snapshots: SnapshotRecord[] = [];
  /** Stream versions known at the head: the engine's map plus this draft's changes (an overlay). */
  readonly #versions: StreamVersions;
  /** Events read by noteTarget() for the next apply() only. */
  #known: readonly StoredEvent[] | undefined;
  #markersShared = true;
  /** Undoes the versions' changes on rollback (the view needs none: the checkpoint keeps it). */
  readonly #journal: (() => void)[] = [];

  constructor(
    readonly ctx: LogContext,
    view: LogView,
    versions: ReadonlyMap<string, number>,
    /** This replica's id (undefined until it has one: then every foreign change forgets `own` and `undo`). */
    readonly clientId: string | undefined,
  ) {
    this.view = view;
    this.#versions = new StreamVersions(versions, this.#journal);
  }

  /** The database this draft reads and writes (bound to its batch's transaction). */
  get db(): LogDb {
    return this.ctx.db;
  }

  /** Replaces parts of the view (not its markers: they change only through a copy, #writableMarkers()). */
  set(patch: Partial<Omit<LogView, 'markers'>>): void {
    this.view = { ...this.view, ...patch };
  }

  /** Before an operation; `commit`: it appends a commit of app events (an undo target to be). */
  checkpoint(options: { commit: boolean }): Checkpoint {
    // The next marker change copies the log first, so rollback() can restore this one.
    this.#markersShared = true;
    // The state just before a commit is where its undo() or redo() starts (invariant 4).
    if (options.commit) {
      const { head: position, maxTime, states, recent } = this.view;
      const kept = remember(recent, { position, maxTime, states });
      if (kept !== recent) this.view = { ...this.view, recent: kept };
    }
    return { view: this.view, journal: this.#journal.length, snapshots: this.snapshots.length };
  }

  rollback(cp: Checkpoint): void {
    if (this.view.markers !== cp.view.markers) this.#markersShared = true;
    this.view = cp.view;
    while (this.#journal.length > cp.journal) this.#journal.pop()!();
    this.snapshots.length = cp.snapshots;
  }

  /** The version of a stream at the head: from memory, or counted in the log once. */
  async version(stream: string): Promise<number> {
    const known = this.#versions.get(stream);
    if (known !== undefined) return known;
    const counted = await countStream(this.db, stream);
    this.#versions.set(stream, counted);
    return counted;
  }

  /** Writes this draft's stream versions into the engine's map (after the commit). */
  mergeVersionsInto(target: Map<string, number>): void {
    this.#versions.mergeInto(target);
  }

  /** Adds this client's newly written events (one commit, applied) to `own` and `undo` (invariants 5 and 6). */
  noteOwn(events: readonly StoredEvent[]): void {
    const { own, undo, markers } = this.view;
    this.view = { ...this.view, own: addOwn(own, events), undo: undo.withEvents(events, events[0]!.clientId, markers) };
  }

  /**
   * Events not written by this store were applied at the head: pulled (a rebase brings this
   * client's own commits back too) or another tab's (this client's as well). Each commit
   * goes into `own` and `undo` as if written here (invariants 5 and 6), except a first one of
   * this client's that may have started before the events (a page may cut a commit): the
   * own events start after it.
   */
  async #noteOthers(events: readonly StoredEvent[]): Promise<void> {
    const me = this.clientId;
    if (me === undefined) return this.#forgetOwn();
    let i = 0;
    const first = events[0]!;
    let own = this.view.own;
    if (first.clientId === me && own.events.length === 0 && own.from === first.position && (await this.#startedBefore(first))) {
      while (i < events.length && events[i]!.commit === first.commit) i++;
      own = { from: events[i]?.position ?? this.view.head + 1, events: [] };
    }
    const rest = i === 0 ? events : events.slice(i);
    const mine = rest.filter((e) => e.clientId === me);
    if (mine.length > 0) own = addOwn(own, mine);
    // Whose commit another client's marker names: the own events know for the commits it covers.
    const ownsCommit = (target: string, at: number) => (at >= own.from ? own.events.some((o) => o.commit === target) : undefined);
    this.set({ own, undo: this.view.undo.withEvents(rest, me, this.view.markers, ownsCommit) });
  }

  /** Does the commit of `event` have events before it? (Keys only: no record is read.) */
  async #startedBefore(event: StoredEvent): Promise<boolean> {
    if (event.position <= 1) return false;
    const firsts = await this.db.records.where('ck').equals(event.commit).primaryKeys();
    return firsts.some((first) => first < event.position);
  }

  /** Forgets `own` and `undo` up to the head: the log changed in ways not made by this client's writes. */
  #forgetOwn(): void {
    const { head } = this.view;
    this.set({ own: { from: head + 1, events: [] }, undo: UndoIndex.unknown(head) });
  }

  /**
   * The events of a marker's target commit, read by the caller: the next apply() need not
   * read where it starts, nor read it again to replay it.
   */
  noteTarget(events: readonly StoredEvent[]): void {
    const first = events[0];
    if (!first) return;
    if (this.view.markers.firstOf(first.commit) === undefined) this.#writableMarkers().setFirst(first.commit, first.position);
    this.#known = events;
  }

  /** The view's markers, copied first if the view they came from may still need them. */
  #writableMarkers(): MarkerLog {
    if (this.#markersShared) {
      this.view = { ...this.view, markers: this.view.markers.clone() };
      this.#markersShared = false;
    }
    return this.view.markers;
  }

  /**
   * Applies events at positions head+1.. (already in the log, or about to be added by the
   * caller in this transaction). Throws ProjectionError if a reducer throws; the caller
   * rolls back.
   */
  async apply(events: readonly StoredEvent[], options: { capture: boolean; own?: boolean }): Promise<void> {
    const known = this.#known;
    this.#known = undefined;
    if (events.length === 0) return;
    const newMarkers = events.map(markerOf).filter((m) => m !== undefined);
    if (newMarkers.length === 0) {
      this.#applyForward(events, options);
      if (!options.own) await this.#noteOthers(events);
      return;
    }
    const oldHead = this.view.head;
    const markers = this.#writableMarkers();
    for (const e of events) if (!isMarkerType(e.type) && markers.firstOf(e.commit) === undefined) markers.setFirst(e.commit, e.position);
    for (const m of newMarkers) {
      if (markers.firstOf(m.target) === undefined) {
        const target = await readCommit(this.db, m.target);
        if (target[0]) markers.setFirst(m.target, target[0].position);
        // Not here: it may be before the compaction point (anywhere in it).
        else if (this.view.compacted > 0) throw new NeedsRestore(0);
      }
      markers.add(m);
    }
    this.#bumpVersions(events);
    const { capture, running } = boundaries(this, events, options.capture);
    const affected = markers.earliestTarget(newMarkers);
    const states = { ...this.view.states };
    if (affected <= oldHead) {
      const from = await recompute(this, { states, affected, oldHead, extra: events, capture, known });
      // A marker that changed old history invalidates, for the head, every snapshot after
      // its target; snapshot the head itself (off the grid) so that start-up and the next
      // undo need not replay that far again.
      const head = events[events.length - 1]!.position;
      const { every, projections } = this.ctx;
      if (capture && every > 0 && head - from > every && head % every !== 0) {
        for (const p of projections) captureAt(this, p, head, running, states[p.name]);
      }
    } else {
      fold(foldOptions(this, states, {}, oldHead, capture), events);
    }
    this.#advance(states, events);
    if (!options.own) await this.#noteOthers(events);
  }

  /**
   * Applies events that hold no marker: a plain forward fold, synchronous, so a batch of
   * plain appends runs without a single await inside its transaction.
   */
  #applyForward(events: readonly StoredEvent[], options: { capture: boolean }): void {
    if (events.length === 0) return;
    this.#advance(this.#foldForward(events, options.capture), events);
  }

  /**
   * A new commit of this client's app events (the append path): applied as #applyForward()
   * does, added to `own` and `undo` as noteOwn() does, and `pending` more events pending,
   * the view replaced once.
   */
  applyOwnCommit(events: readonly StoredEvent[], pending: number): void {
    const states = this.#foldForward(events, true);
    const { own, undo, markers, maxTime } = this.view;
    let time = maxTime;
    for (const e of events) if (e.time > time) time = e.time;
    this.view = {
      ...this.view,
      states,
      head: events[events.length - 1]!.position,
      maxTime: time,
      pending: this.view.pending + pending,
      own: addOwn(own, events),
      undo: undo.withEvents(events, events[0]!.clientId, markers),
    };
  }

  #foldForward(events: readonly StoredEvent[], capture: boolean): States {
    this.#bumpVersions(events);
    const at = boundaries(this, events, capture);
    const states = { ...this.view.states };
    fold(foldOptions(this, states, {}, this.view.head, at.capture), events);
    return states;
  }

  #bumpVersions(events: readonly StoredEvent[]): void {
    for (const e of events) {
      if (isMarkerType(e.type)) continue;
      const v = this.#versions.get(e.stream);
      if (v !== undefined) this.#versions.set(e.stream, v + 1);
    }
  }

  #advance(states: States, events: readonly StoredEvent[]): void {
    let maxTime = this.view.maxTime;
    for (const e of events) if (e.time > maxTime) maxTime = e.time;
    this.view = { ...this.view, states, head: events[events.length - 1]!.position, maxTime };
  }

  /** Writes history fetched from the server back below the compaction point (./restore.ts). */
  async restore(from: number, events: readonly RestoredEvent[]): Promise<void> {
    const compacted = await restoreBelow(this.db, this.#writableMarkers(), this.view.compacted, from, events);
    this.set({ compacted, undo: UndoIndex.unknown(this.view.head) }); // older own commits may be back (invariant 6)
  }

  /** Takes the compaction point another store on this database moved (compacted or restored). */
  async followCompaction(): Promise<void> {
    const { compacted } = await readCompaction(this.db);
    const { head } = this.view;
    if (compacted < this.view.compacted) {
      await learnRestored(this.db, this.#writableMarkers(), this.view.compacted, compacted);
      this.set({ undo: UndoIndex.unknown(head) }); // older own commits may be back (invariant 6)
    } else if (compacted > this.view.compacted) {
      // Undo finds commits before the point only in memory: a walk finds them again.
      this.set({ recent: this.view.recent.filter((r) => r.position >= compacted), undo: UndoIndex.unknown(head) });
    }
    this.set({ compacted });
    if (head < compacted) {
      // The events between our head and the new point are gone: start again from the
      // point's snapshot (the markers before it are in that snapshot; those after it come
      // with the catch-up that follows).
      this.#versions.clear();
      this.snapshots.length = 0;
      await this.rebuild(compacted, { captureMissing: false });
      this.#forgetOwn();
    }
  }

  /**
   * Goes back to the state at `position` (the log after it is about to change): markers,
   * stream versions and snapshots captured past it are forgotten, and every projection is
   * rebuilt from its newest valid snapshot at or before `position`.
   */
  async rewind(position: number): Promise<void> {
    // Below the compaction point the log is gone, and so is any difference it had: the
    // point's snapshot is where a replay of the changed log starts.
    position = Math.max(position, this.view.compacted);
    if (position >= this.view.head) return;
    this.#writableMarkers().truncate(position + 1);
    this.#versions.clear();
    this.set({ recent: this.view.recent.filter((r) => r.position <= position) });
    const kept = this.snapshots.filter((s) => s.position <= position);
    this.snapshots.length = 0;
    this.snapshots.push(...kept);
    await this.rebuild(position, { captureMissing: false });
    this.#forgetOwn();
  }

  /** Sets the states to those at `position` (./replayer.ts rebuild). */
  rebuild(position: number, options: RebuildOptions): Promise<void> {
    return rebuild(this, position, options);
  }
}
