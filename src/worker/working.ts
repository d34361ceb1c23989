/**
 * A working copy of the engine's in-memory view of the log, changed while a write
 * transaction prepares its operations and installed only once the transaction commits.
 * Each operation runs between checkpoint() and either nothing (kept) or rollback(), so a
 * failed operation in a group commit leaves the others untouched.
 *
 * Invariants:
 * 1. `states` is the state of every projection at `head` (head view: all markers honoured).
 * 2. `versions` holds the exact version of each stream it knows, at `head`.
 * 3. Snapshots are captured only at new positions and only where valid (markers.validStart):
 *    every `every` positions, plus at the head after a marker forced a long recompute.
 * 4. `recent` holds the head states before the last few own commits, in memory snapshots with
 *    the same validity rule: undo() of a recent commit replays only from just before it.
 *    Entries are dropped past a rewind, and kept by the engine only once the batch commits.
 * 5. `own.events` are all of this client's events at positions >= `own.from` (what undo's
 *    history walk reads first): own commits are added as they are written or applied (from
 *    another tab, or back from the server); a rewind or a change of the compaction point
 *    empties it from the new head on.
 *    `own.from` is always where a commit starts, so undo() finds its target's events there.
 * 6. `undo` caches what undo() and redo() act on (core/undoIndex.ts): every commit applied
 *    updates it; what empties `own` (and restored history) empties it, and the next history
 *    walk (./undoHistory.ts) fills it again.
 */
import { isMarkerType, type StoredEvent } from '../core/event.ts';
import { markerOf, type MarkerLog } from '../core/markers.ts';
import { UndoIndex } from '../core/undoIndex.ts';
import type { Projection } from '../core/projection.ts';
import type { EventSchema } from '../core/upcast.ts';
import { isCloneFaithful } from '../core/clone.ts';
import { fold, frozen, initialState, type States } from '../core/replay.ts';
import { countStream, forEachEvents, readCommit } from '../storage/log.ts';
import type { LogDb, LogRecord, SnapshotRecord } from '../storage/schema.ts';
import { findSnapshot } from '../storage/snapshots.ts';
import { learnHistory, NeedsHistory, restoreHistory, type HistoryEvent } from './history.ts';
import { readCompaction } from '../storage/compaction.ts';
import { StreamVersions } from './streamVersions.ts';
import { addOwn, recentAt, RecentCollector, remember, type OwnTail, type RecentStates } from './tails.ts';

export interface LogContext {
  readonly db: LogDb;
  readonly projections: readonly Projection<unknown>[];
  /** Snapshot interval; 0 = no snapshots. */
  readonly every: number;
  /** Event schema versions and upcasters (core/upcast.ts). */
  readonly schema: EventSchema;
}

interface Checkpoint {
  own: OwnTail;
  undo: UndoIndex;
  head: number;
  base: number;
  maxTime: number;
  pending: number;
  epoch: number;
  states: States;
  markers: MarkerLog;
  journal: number;
  snapshots: number;
}

export class Working {
  head: number;
  /** The compaction point: positions up to it are not in the database (storage/compaction.ts). */
  base: number;
  maxTime: number;
  /** Pending (unconfirmed) events in the log. */
  pending: number;
  /** The last log rewrite this copy has applied (schema invariant 4). */
  epoch: number;
  states: States;
  markers: MarkerLog;
  /** Stream versions known at `head`: the engine's map plus this copy's changes (overlay). */
  readonly #versions: StreamVersions;
  /** Snapshots captured for new positions, to write in the same transaction. */
  readonly snapshots: SnapshotRecord[] = [];
  /**
   * Writes of this batch's commits, issued without waiting for each (IndexedDB runs a
   * transaction's requests in order, so later reads see them): a group commit costs one
   * transaction, not one round trip per append.
   */
  readonly writes: Promise<unknown>[] = [];
  #unwritten: LogRecord[] = [];
  /** The head states before the last RECENT (./tails.ts) own commits, oldest first (invariant 4). */
  recent: readonly RecentStates[];
  own: OwnTail;
  /** What undo() and redo() act on, as far as known (invariant 6). */
  undo: UndoIndex;
  /** A history walk filled `undo` in, not yet kept in the database (./undoHistory.ts saveUndo). */
  undoWalked: boolean;
  /** Events read by noteTarget() for the next apply() only. */
  #known: readonly StoredEvent[] | undefined;
  #markersShared = true;
  readonly #clientId: string | undefined;
  readonly #journal: (() => void)[] = [];

  constructor(
    private readonly ctx: LogContext,
    from: {
      head: number;
      base: number;
      maxTime: number;
      pending: number;
      epoch: number;
      states: States;
      markers: MarkerLog;
      versions: ReadonlyMap<string, number>;
      recent?: readonly RecentStates[];
      own?: OwnTail | undefined;
      undo?: UndoIndex | undefined;
      undoWalked?: boolean;
      /** This replica's id (undefined until it has one: then every foreign change forgets `own` and `undo`). */
      clientId?: string | undefined;
    },
  ) {
    this.head = from.head;
    this.base = from.base;
    this.maxTime = from.maxTime;
    this.pending = from.pending;
    this.epoch = from.epoch;
    this.states = from.states;
    this.markers = from.markers;
    this.#versions = new StreamVersions(from.versions, this.#journal);
    this.recent = from.recent ?? [];
    this.own = from.own ?? { from: from.head + 1, events: [] };
    this.undo = from.undo ?? UndoIndex.unknown(from.head);
    this.undoWalked = from.undoWalked ?? false;
    this.#clientId = from.clientId;
  }

  /** The database this copy reads and writes (bound to its batch's transaction). */
  get db(): LogDb {
    return this.ctx.db;
  }

  /** Before an operation; `commit`: it appends a commit of app events (an undo target to be). */
  checkpoint(options: { commit: boolean }): Checkpoint {
    // The next marker change copies the log first, so rollback() can restore this one.
    this.#markersShared = true;
    // The state just before a commit is where its undo() or redo() starts (invariant 4).
    if (options.commit) this.recent = remember(this.recent, { position: this.head, maxTime: this.maxTime, states: this.states });
    return {
      own: this.own,
      undo: this.undo,
      head: this.head,
      base: this.base,
      maxTime: this.maxTime,
      pending: this.pending,
      epoch: this.epoch,
      states: this.states,
      markers: this.markers,
      journal: this.#journal.length,
      snapshots: this.snapshots.length,
    };
  }

  rollback(cp: Checkpoint): void {
    this.own = cp.own;
    this.undo = cp.undo;
    this.head = cp.head;
    this.base = cp.base;
    this.maxTime = cp.maxTime;
    this.pending = cp.pending;
    this.epoch = cp.epoch;
    this.states = cp.states;
    if (this.markers !== cp.markers) {
      this.markers = cp.markers;
      this.#markersShared = true;
    }
    while (this.#journal.length > cp.journal) this.#journal.pop()!();
    this.snapshots.length = cp.snapshots;
  }

  /** Queues the write of a record (the last step of an operation, which cannot fail after it). */
  write(record: LogRecord): void {
    this.#unwritten.push(record);
  }

  /**
   * Issues the queued writes as one bulkAdd (far cheaper than an add per commit). Called
   * before anything that may read the log, so that reads see every earlier write.
   */
  flush(): void {
    if (this.#unwritten.length === 0) return;
    const request = this.ctx.db.records.bulkAdd(this.#unwritten);
    this.#unwritten = [];
    request.catch(() => undefined); // awaited with the others in settle(); a failure aborts the batch
    this.writes.push(request);
  }

  /** The queued writes, for a batch that issues them itself (./plainBatch.ts). */
  takeUnwritten(): LogRecord[] {
    const records = this.#unwritten;
    this.#unwritten = [];
    return records;
  }

  /** Issues and waits for every write of the batch. */
  async settle(): Promise<void> {
    this.flush();
    await Promise.all(this.writes);
  }

  /** The version of a stream at `head`: from memory, or counted in the log once. */
  async version(stream: string): Promise<number> {
    const known = this.#versions.get(stream);
    if (known !== undefined) return known;
    const counted = await countStream(this.ctx.db, stream);
    this.#versions.set(stream, counted);
    return counted;
  }

  /** Writes this copy's stream versions into the engine's map (after the commit). */
  mergeVersionsInto(target: Map<string, number>): void {
    this.#versions.mergeInto(target);
  }

  /** Adds this client's newly written events (one commit, applied) to `own` and `undo` (invariants 5 and 6). */
  noteOwn(events: readonly StoredEvent[]): void {
    this.own = addOwn(this.own, events);
    this.undo = this.undo.withEvents(events, events[0]!.clientId, this.markers);
  }

  /**
   * Events not written by this store were applied at the head: pulled (a rebase brings this
   * client's own commits back too) or another tab's (this client's as well). Each commit
   * goes into `own` and `undo` as if written here (invariants 5 and 6), except a first one of
   * this client's that may have started before the events (a page may cut a commit): the
   * own tail starts after it.
   */
  async #noteOthers(events: readonly StoredEvent[]): Promise<void> {
    const me = this.#clientId;
    if (me === undefined) return this.#forgetOwn();
    let i = 0;
    const head = events[0]!;
    if (head.clientId === me && this.own.events.length === 0 && this.own.from === head.position && (await this.#startedBefore(head))) {
      while (i < events.length && events[i]!.commit === head.commit) i++;
      this.own = { from: events[i]?.position ?? this.head + 1, events: [] };
    }
    const rest = i === 0 ? events : events.slice(i);
    const mine = rest.filter((e) => e.clientId === me);
    if (mine.length > 0) this.own = addOwn(this.own, mine);
    // Whose commit another client's marker names: the own tail knows for the commits it covers.
    this.undo = this.undo.withEvents(rest, me, this.markers, (target, first) => (first >= this.own.from ? this.own.events.some((o) => o.commit === target) : undefined));
  }

  /** Does the commit of `event` have events before it? (Keys only: no record is read.) */
  async #startedBefore(event: StoredEvent): Promise<boolean> {
    if (event.position <= 1) return false;
    const firsts = await this.ctx.db.records.where('ck').equals(event.commit).primaryKeys();
    return firsts.some((first) => first < event.position);
  }

  /** Forgets `own` and `undo` up to the head: the log changed in ways not made by this client's writes. */
  #forgetOwn(): void {
    this.own = { from: this.head + 1, events: [] };
    this.undo = UndoIndex.unknown(this.head);
  }

  /**
   * The events of a marker's target commit, read by the caller: the next apply() need not
   * read where it starts, nor read it again to replay it.
   */
  noteTarget(events: readonly StoredEvent[]): void {
    const first = events[0];
    if (!first) return;
    if (this.markers.firstOf(first.commit) === undefined) this.#writableMarkers().setFirst(first.commit, first.position);
    this.#known = events;
  }

  #writableMarkers(): MarkerLog {
    if (this.#markersShared) {
      this.markers = this.markers.clone();
      this.#markersShared = false;
    }
    return this.markers;
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
      this.applyForward(events, options);
      if (!options.own) await this.#noteOthers(events);
      return;
    }
    const oldHead = this.head;
    const markers = this.#writableMarkers();
    for (const e of events) if (!isMarkerType(e.type) && markers.firstOf(e.commit) === undefined) markers.setFirst(e.commit, e.position);
    for (const m of newMarkers) {
      if (markers.firstOf(m.target) === undefined) {
        const target = await readCommit(this.ctx.db, m.target);
        if (target[0]) markers.setFirst(m.target, target[0].position);
        // Not here: it may be before the compaction point (anywhere in it).
        else if (this.base > 0) throw new NeedsHistory(0);
      }
      markers.add(m);
    }
    this.#bumpVersions(events);
    const { capture, running } = this.#boundaries(events, options.capture);
    const affected = this.markers.earliestTarget(newMarkers);
    const states = { ...this.states };
    if (affected <= oldHead) {
      const from = await this.#recompute(states, affected, oldHead, events, capture, known);
      // A marker that changed old history invalidates, for the head, every snapshot after
      // its target; snapshot the head itself (off the grid) so that start-up and the next
      // undo need not replay that far again.
      const head = events[events.length - 1]!.position;
      if (capture && this.ctx.every > 0 && head - from > this.ctx.every && head % this.ctx.every !== 0) {
        for (const p of this.ctx.projections) this.#capture(p, head, running, states[p.name]);
      }
    } else {
      fold(this.#foldOptions(states, {}, oldHead, capture), events);
    }
    this.#advance(states, events);
    if (!options.own) await this.#noteOthers(events);
  }

  /**
   * Applies events that hold no marker: a plain forward fold, synchronous, so a batch of
   * plain appends runs without a single await inside its transaction.
   */
  applyForward(events: readonly StoredEvent[], options: { capture: boolean }): void {
    if (events.length === 0) return;
    this.#bumpVersions(events);
    const { capture } = this.#boundaries(events, options.capture);
    const states = { ...this.states };
    fold(this.#foldOptions(states, {}, this.head, capture), events);
    this.#advance(states, events);
  }

  #bumpVersions(events: readonly StoredEvent[]): void {
    for (const e of events) {
      if (isMarkerType(e.type)) continue;
      const v = this.#versions.get(e.stream);
      if (v !== undefined) this.#versions.set(e.stream, v + 1);
    }
  }

  /** The largest event time up to each snapshot boundary among the new positions. */
  #boundaries(events: readonly StoredEvent[], capture: boolean): { capture: Map<number, number> | undefined; running: number } {
    const boundaryMax = new Map<number, number>();
    let running = this.maxTime;
    for (const e of events) {
      running = Math.max(running, e.time);
      if (this.ctx.every > 0 && e.position % this.ctx.every === 0) boundaryMax.set(e.position, running);
    }
    return { capture: capture ? boundaryMax : undefined, running };
  }

  #advance(states: States, events: readonly StoredEvent[]): void {
    this.states = states;
    this.head = events[events.length - 1]!.position;
    for (const e of events) if (e.time > this.maxTime) this.maxTime = e.time;
  }


  /** Writes history fetched from the server back below the compaction point (./history.ts). */
  async restore(from: number, events: readonly HistoryEvent[]): Promise<void> {
    this.base = await restoreHistory(this.ctx.db, this.#writableMarkers(), this.base, from, events);
    this.undo = UndoIndex.unknown(this.head); // older own commits may be back (invariant 6)
  }

  /** Takes the compaction point another store on this database moved (compacted or restored). */
  async followBase(): Promise<void> {
    const { base } = await readCompaction(this.ctx.db);
    if (base < this.base) {
      await learnHistory(this.ctx.db, this.#writableMarkers(), this.base, base);
      this.undo = UndoIndex.unknown(this.head); // older own commits may be back (invariant 6)
    } else if (base > this.base) {
      this.recent = this.recent.filter((r) => r.position >= base);
      this.undo = UndoIndex.unknown(this.head); // undo finds commits before the point only in memory
    }
    this.base = base;
    if (this.head < base) {
      // The events between our head and the new point are gone: start again from the
      // point's snapshot (the markers before it are in that snapshot; those after it come
      // with the catch-up that follows).
      this.#versions.clear();
      this.snapshots.length = 0;
      await this.rebuild(base, { captureMissing: false });
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
    position = Math.max(position, this.base);
    if (position >= this.head) return;
    const markers = this.#writableMarkers();
    markers.truncate(position + 1);
    this.#versions.clear();
    const recent = this.recent;
    this.recent = recent.filter((r) => r.position <= position);
    this.#journal.push(() => (this.recent = recent));
    const kept = this.snapshots.filter((s) => s.position <= position);
    this.snapshots.length = 0;
    this.snapshots.push(...kept);
    await this.rebuild(position, { captureMissing: false });
    this.#forgetOwn();
  }

  /**
   * Sets `states` to the state at `position` (markers up to it known): each projection from
   * its newest valid snapshot, then a replay of the log. With `captureMissing`, snapshots
   * the replay crosses are captured (a new projection, or a new version of one).
   */
  async rebuild(
    position: number,
    options: { captureMissing: boolean; tail?: readonly StoredEvent[]; newest?: readonly (SnapshotRecord | undefined)[] },
  ): Promise<void> {
    const states: States = {};
    const { startAt, from, maxTime: snapshotMaxTime } = await this.#fromSnapshots(states, position, options.newest);
    if (from < this.base) throw new NeedsHistory(from);
    let maxTime = snapshotMaxTime;
    const boundaryMax = new Map<number, number>();
    const start = { ...states };
    const collector = this.#recentCollector(startAt, snapshotMaxTime);
    const fold1 = { ...this.#foldOptions(states, startAt, from, options.captureMissing ? boundaryMax : undefined), ...(collector ? { beforeEvent: collector.beforeEvent } : {}) };
    const visit = (events: readonly StoredEvent[]) => {
      for (const e of events) {
        if (e.time > maxTime) maxTime = e.time;
        if (this.ctx.every > 0 && e.position % this.ctx.every === 0) boundaryMax.set(e.position, maxTime);
      }
      fold(fold1, events);
    };
    // `tail`: the events up to `position` from some point on, already read by the caller.
    const tail = options.tail ?? [];
    const tailFrom = tail.length > 0 && tail[tail.length - 1]!.position === position ? tail[0]!.position : position + 1;
    await forEachEvents(this.ctx.db, from + 1, Math.min(position, tailFrom - 1), visit);
    visit(tail.filter((e) => e.position > from));
    this.states = states;
    this.head = position;
    this.maxTime = maxTime;
    this.#keepRecent(collector, start);
  }

  /** Collects the states before own commits during a replay of the head view (invariant 4, ./tails.ts). */
  #recentCollector(startAt: Readonly<Record<string, number>>, maxTime: number): RecentCollector | undefined {
    if (this.#clientId === undefined) return undefined;
    const from = Math.max(0, ...this.ctx.projections.map((p) => startAt[p.name] ?? 0));
    return new RecentCollector(this.#clientId, from, maxTime, (position) => this.markers.validStart(position, 'head'));
  }

  #keepRecent(collector: RecentCollector | undefined, start: States): void {
    if (!collector) return;
    const recent = this.recent;
    this.recent = collector.merge(recent, this.ctx.projections, start);
    if (this.recent !== recent) this.#journal.push(() => (this.recent = recent));
  }

  /**
   * Puts into `states` each projection's newest snapshot at or before `position` that the
   * known markers leave valid (or its initial state); `from` is the lowest start and
   * `maxTime` the largest event time up to it.
   */
  async #fromSnapshots(
    states: States,
    position: number,
    newest?: readonly (SnapshotRecord | undefined)[],
  ): Promise<{ startAt: Record<string, number>; from: number; maxTime: number }> {
    const startAt: Record<string, number> = {};
    const hit = recentAt(this.recent, position, this.ctx.every, (start) => this.markers.validStart(start, 'head'));
    if (hit) {
      for (const p of this.ctx.projections) {
        states[p.name] = hit.states[p.name];
        startAt[p.name] = hit.position;
      }
      return { startAt, from: hit.position, maxTime: hit.maxTime };
    }
    let from = position;
    let maxTime = -Infinity;
    const accept = (position: number) => this.markers.validStart(position, 'head');
    // `newest`: each projection's newest snapshot, already read (start-up); used when valid.
    const snaps = await Promise.all(
      this.ctx.projections.map((p, i) => {
        if (newest && newest[i] === undefined) return undefined;
        const known = newest?.[i];
        return known && known.position <= position && accept(known.position) ? known : findSnapshot(this.ctx.db, p.name, p.version, position, accept);
      }),
    );
    for (const [i, p] of this.ctx.projections.entries()) {
      const snap = snaps[i];
      states[p.name] = snap ? frozen(p, snap.state) : initialState(p);
      const start = snap?.position ?? 0;
      startAt[p.name] = start;
      if (start <= from) {
        from = start;
        maxTime = snap?.maxTime ?? -Infinity;
      }
    }
    return { startAt, from, maxTime };
  }

  /** Recomputes the head state from the newest valid snapshot before `affected`. */
  async #recompute(
    states: States,
    affected: number,
    oldHead: number,
    extra: readonly StoredEvent[],
    capture: ReadonlyMap<number, number> | undefined,
    known: readonly StoredEvent[] | undefined,
  ): Promise<number> {
    const { startAt, from, maxTime } = await this.#fromSnapshots(states, affected - 1);
    if (from < this.base) throw new NeedsHistory(from);
    const start = { ...states };
    const collector = this.#recentCollector(startAt, maxTime);
    const options = { ...this.#foldOptions(states, startAt, oldHead, capture), ...(collector ? { beforeEvent: collector.beforeEvent } : {}) };
    // Undo of the latest commit: the replay is exactly the target's events, already read.
    // Of a commit further back: what follows it is often all this client's (the commits
    // undone since, and their markers), in the own tail: nothing to read either.
    const covers = known !== undefined && known.length === oldHead - from && known[0]?.position === from + 1 && known.at(-1)?.position === oldHead;
    const own = covers ? undefined : this.#ownRange(from + 1, oldHead);
    if (covers) fold(options, known);
    else if (own) fold(options, own);
    else await forEachEvents(this.ctx.db, from + 1, oldHead, (events) => fold(options, events));
    fold(options, extra);
    this.#keepRecent(collector, start);
    return from;
  }

  /** The events at positions `from..to` if the own tail holds every one of them (all this client's). */
  #ownRange(from: number, to: number): readonly StoredEvent[] | undefined {
    const events = this.own.events;
    if (from < this.own.from || to - from + 1 > events.length) return undefined;
    let lo = 0;
    let hi = events.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (events[mid]!.position < from) lo = mid + 1;
      else hi = mid;
    }
    const range = events.slice(lo, lo + (to - from + 1));
    return range.length === to - from + 1 && range[0]?.position === from && range.at(-1)!.position === to ? range : undefined;
  }

  /** Keeps a snapshot to write, if the state survives structured clone unchanged. */
  #capture(projection: Projection<unknown>, position: number, maxTime: number, state: unknown): void {
    // A state that skipped an event newer than this app would be wrong for the app that knows it.
    if (position >= this.ctx.schema.newerFrom || !isCloneFaithful(state)) return;
    this.snapshots.push({ projection: projection.name, version: projection.version, position, maxTime, state });
  }

  #foldOptions(states: States, startAt: Record<string, number>, oldHead: number, capture: ReadonlyMap<number, number> | undefined) {
    const every = this.ctx.every;
    return {
      projections: this.ctx.projections,
      states,
      startAt,
      upcast: this.ctx.schema,
      undone: this.markers.undone('head'),
      ...(capture && every > 0
        ? {
            every,
            onBoundary: (position: number, current: States) => {
              const maxTime = capture.get(position);
              if (position <= oldHead || maxTime === undefined || !this.markers.validStart(position, 'head')) return;
              for (const p of this.ctx.projections) {
                if ((startAt[p.name] ?? 0) >= position) continue; // its state is not at `position`
                this.#capture(p, position, maxTime, current[p.name]);
              }
            },
          }
        : {}),
    };
  }
}
