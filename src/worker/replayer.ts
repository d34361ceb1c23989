/**
 * How a draft (./draft.ts) derives states by replay: from the newest valid snapshot (or a
 * recent in-memory state) at or before a position, then a fold of the log after it,
 * capturing snapshots at new grid positions on the way (Draft invariants 3 and 4).
 */
import { isCloneFaithful } from '../core/clone.ts';
import type { StoredEvent } from '../core/event.ts';
import type { Projection } from '../core/projection.ts';
import { fold, frozen, initialState, type States } from '../core/replay.ts';
import { forEachEvents } from '../storage/log.ts';
import type { SnapshotRecord } from '../storage/schema.ts';
import { findSnapshot } from '../storage/snapshots.ts';
import type { LogContext, LogView } from './view.ts';
import { NeedsRestore } from './restore.ts';
import { RecentCollector, recentAt } from './recent.ts';

/** What a replay reads of a draft and changes on it (./draft.ts Draft). */
export interface ReplayDraft {
  readonly ctx: LogContext;
  readonly db: LogContext['db'];
  readonly view: LogView;
  readonly clientId: string | undefined;
  /** Snapshots captured for new positions, written with the batch. */
  readonly snapshots: SnapshotRecord[];
  set(patch: Partial<Omit<LogView, 'markers'>>): void;
}

export interface RebuildOptions {
  /** Capture the snapshots the replay crosses (a new projection, or a new version of one). */
  captureMissing: boolean;
  /** The events up to the position from some point on, already read by the caller. */
  tail?: readonly StoredEvent[];
  /** Each projection's newest snapshot, already read (start-up); used when valid. */
  newest?: readonly (SnapshotRecord | undefined)[];
}

/**
 * Sets the draft's states to those at `position` (markers up to it known): each projection
 * from its newest valid snapshot, then a replay of the log.
 */
export async function rebuild(draft: ReplayDraft, position: number, options: RebuildOptions): Promise<void> {
  const { every } = draft.ctx;
  const states: States = {};
  const { startAt, from, maxTime: snapshotMaxTime } = await fromSnapshots(draft, states, position, options.newest);
  if (from < draft.view.compacted) throw new NeedsRestore(from);
  let maxTime = snapshotMaxTime;
  const boundaryMax = new Map<number, number>();
  const start = { ...states };
  const collector = recentCollector(draft, startAt, snapshotMaxTime);
  const options1 = {
    ...foldOptions(draft, states, startAt, from, options.captureMissing ? boundaryMax : undefined),
    ...(collector ? { beforeEvent: collector.beforeEvent } : {}),
  };
  const visit = (events: readonly StoredEvent[]) => {
    for (const e of events) {
      if (e.time > maxTime) maxTime = e.time;
      if (every > 0 && e.position % every === 0) boundaryMax.set(e.position, maxTime);
    }
    fold(options1, events);
  };
  const tail = options.tail ?? [];
  const tailFrom = tail.length > 0 && tail[tail.length - 1]!.position === position ? tail[0]!.position : position + 1;
  await forEachEvents(draft.db, from + 1, Math.min(position, tailFrom - 1), visit);
  visit(tail.filter((e) => e.position > from));
  draft.set({ states, head: position, maxTime });
  keepRecent(draft, collector, start);
}

/**
 * Recomputes the head state from the newest valid snapshot before `affected` (a marker
 * changed history there); returns where the replay started.
 */
export async function recompute(
  draft: ReplayDraft,
  at: {
    states: States;
    affected: number;
    oldHead: number;
    /** The new events after `oldHead`. */
    extra: readonly StoredEvent[];
    capture: ReadonlyMap<number, number> | undefined;
    /** The marker's target commit, already read (Draft.noteTarget). */
    known: readonly StoredEvent[] | undefined;
  },
): Promise<number> {
  const { states, oldHead, known } = at;
  const { startAt, from, maxTime } = await fromSnapshots(draft, states, at.affected - 1);
  if (from < draft.view.compacted) throw new NeedsRestore(from);
  const start = { ...states };
  const collector = recentCollector(draft, startAt, maxTime);
  const options = {
    ...foldOptions(draft, states, startAt, oldHead, at.capture),
    ...(collector ? { beforeEvent: collector.beforeEvent } : {}),
  };
  // Undo of the latest commit: the replay is exactly the target's events, already read.
  // Of a commit further back: what follows it is often all this client's (the commits
  // undone since, and their markers), in the own events: nothing to read either.
  const covers =
    known !== undefined && known.length === oldHead - from && known[0]?.position === from + 1 && known.at(-1)?.position === oldHead;
  const own = covers ? undefined : ownRange(draft, from + 1, oldHead);
  if (covers) fold(options, known);
  else if (own) fold(options, own);
  else await forEachEvents(draft.db, from + 1, oldHead, (events) => fold(options, events));
  fold(options, at.extra);
  keepRecent(draft, collector, start);
  return from;
}

/**
 * Puts into `states` each projection's newest snapshot at or before `position` that the
 * known markers leave valid (or its initial state); `from` is the lowest start and
 * `maxTime` the largest event time up to it.
 */
async function fromSnapshots(
  draft: ReplayDraft,
  states: States,
  position: number,
  newest?: readonly (SnapshotRecord | undefined)[],
): Promise<{ startAt: Record<string, number>; from: number; maxTime: number }> {
  const { projections, every } = draft.ctx;
  const { markers } = draft.view;
  const accept = (start: number) => markers.validStart(start, 'head');
  const startAt: Record<string, number> = {};
  const hit = recentAt(draft.view.recent, position, every, accept);
  if (hit) {
    for (const p of projections) {
      states[p.name] = hit.states[p.name];
      startAt[p.name] = hit.position;
    }
    return { startAt, from: hit.position, maxTime: hit.maxTime };
  }
  let from = position;
  let maxTime = -Infinity;
  const snaps = await Promise.all(
    projections.map((p, i) => {
      if (newest && newest[i] === undefined) return undefined;
      const known = newest?.[i];
      return known && known.position <= position && accept(known.position)
        ? known
        : findSnapshot(draft.db, p.name, p.version, position, accept);
    }),
  );
  for (const [i, p] of projections.entries()) {
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

/** The events at positions `from..to` if the own events hold every one of them (all this client's). */
function ownRange(draft: ReplayDraft, from: number, to: number): readonly StoredEvent[] | undefined {
  const { own } = draft.view;
  const events = own.events;
  if (from < own.from || to - from + 1 > events.length) return undefined;
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

/** Collects the states before own commits during a replay of the head view (Draft invariant 4, ./recent.ts). */
function recentCollector(draft: ReplayDraft, startAt: Readonly<Record<string, number>>, maxTime: number): RecentCollector | undefined {
  if (draft.clientId === undefined) return undefined;
  const from = Math.max(0, ...draft.ctx.projections.map((p) => startAt[p.name] ?? 0));
  return new RecentCollector(draft.clientId, from, maxTime, (position) => draft.view.markers.validStart(position, 'head'));
}

function keepRecent(draft: ReplayDraft, collector: RecentCollector | undefined, start: States): void {
  if (collector) draft.set({ recent: collector.merge(draft.view.recent, draft.ctx.projections, start) });
}

/** The largest event time up to each snapshot boundary among the new positions. */
export function boundaries(
  draft: ReplayDraft,
  events: readonly StoredEvent[],
  capture: boolean,
): { capture: Map<number, number> | undefined; running: number } {
  const { every } = draft.ctx;
  const boundaryMax = new Map<number, number>();
  let running = draft.view.maxTime;
  for (const e of events) {
    running = Math.max(running, e.time);
    if (every > 0 && e.position % every === 0) boundaryMax.set(e.position, running);
  }
  return { capture: capture ? boundaryMax : undefined, running };
}

/** Keeps a snapshot to write, if the state survives structured clone unchanged. */
export function captureAt(draft: ReplayDraft, projection: Projection<unknown>, position: number, maxTime: number, state: unknown): void {
  // A state that skipped an event newer than this app would be wrong for the app that knows it.
  if (position >= draft.ctx.schema.newerFrom || !isCloneFaithful(state)) return;
  draft.snapshots.push({ projection: projection.name, version: projection.version, position, maxTime, state });
}

/** fold()'s options for the head view, capturing snapshots at new grid positions after `oldHead`. */
export function foldOptions(
  draft: ReplayDraft,
  states: States,
  startAt: Record<string, number>,
  oldHead: number,
  capture: ReadonlyMap<number, number> | undefined,
) {
  const { every, projections, schema } = draft.ctx;
  const { markers } = draft.view;
  return {
    projections,
    states,
    startAt,
    upcast: schema,
    undone: markers.undone('head'),
    ...(capture && every > 0
      ? {
          every,
          onBoundary: (position: number, current: States) => {
            const maxTime = capture.get(position);
            if (position <= oldHead || maxTime === undefined || !markers.validStart(position, 'head')) return;
            for (const p of projections) {
              if ((startAt[p.name] ?? 0) >= position) continue; // its state is not at `position`
              captureAt(draft, p, position, maxTime, current[p.name]);
            }
          },
        }
      : {}),
  };
}
