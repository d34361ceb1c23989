/**
 * The in-memory tails a working copy carries (see ./working.ts, invariants 4 and 5): the
 * head states of the last few operations, and this client's newest events. Both are
 * immutable values, replaced rather than changed, so a checkpoint or the engine can keep
 * one by reference.
 */
import type { StoredEvent } from '../core/event.ts';
import type { States } from '../core/replay.ts';

/** The state of every projection at a position (the head before an own commit). */
export interface RecentStates {
  readonly position: number;
  readonly maxTime: number;
  readonly states: States;
}

/**
 * Commits whose start states stay in memory. Each may be a full copy of every projection's
 * state (a reducer that copies), so few: enough for a run of undo()s and redo()s.
 */
const RECENT = 8;

/** An own event, as written. */
export type OwnEvent = StoredEvent;

/**
 * This client's events from `from` to the head, oldest first (Working invariant 5). `from`
 * is where a commit starts (or the head + 1), so a commit is wholly in `events` or not at all.
 */
export interface OwnTail {
  readonly from: number;
  readonly events: readonly OwnEvent[];
}

/** Own events kept in memory (about 0.5 MB of typical events). */
const OWN = 2048;

/** `recent` with the head state before an operation added (unless it is there already), the last RECENT kept. */
export function remember(recent: readonly RecentStates[], entry: RecentStates): readonly RecentStates[] {
  const last = recent[recent.length - 1];
  return last?.position === entry.position ? recent : [...recent.slice(1 - RECENT), entry];
}

/**
 * The newest valid recent state at or before `position`, unless a snapshot on the grid
 * (every `every` positions) lies between it and `position`.
 */
export function recentAt(
  recent: readonly RecentStates[],
  position: number,
  every: number,
  validStart: (position: number) => boolean,
): RecentStates | undefined {
  for (let i = recent.length - 1; i >= 0; i--) {
    const r = recent[i]!;
    if (r.position > position) continue;
    if (every > 0 && Math.floor(position / every) * every > r.position) return undefined;
    return validStart(r.position) ? r : undefined;
  }
  return undefined;
}

/** `own` with this client's newly written events added, the newest OWN kept (Working invariant 5). */
export function addOwn(own: OwnTail, events: readonly StoredEvent[]): OwnTail {
  return capped(own.from, [...own.events, ...events]);
}

/**
 * `own` extended back to `from` with the own events before it (`older`, oldest first, all of
 * this client's events from `from` on), as a history walk read them from the log.
 */
export function prependOwn(own: OwnTail, from: number, older: readonly StoredEvent[]): OwnTail {
  return from < own.from ? capped(from, [...older, ...own.events]) : own;
}

/** The newest OWN events at most, cut between two commits so that `from` is where a commit starts. */
function capped(from: number, all: readonly StoredEvent[]): OwnTail {
  if (all.length <= OWN) return { from, events: all };
  let cut = all.length - OWN;
  while (cut < all.length && all[cut]!.commit === all[cut - 1]!.commit) cut++;
  const kept = all.slice(cut);
  return { from: kept[0]?.position ?? all[all.length - 1]!.position + 1, events: kept };
}

/** The events of an own commit, if `own` holds them (a commit is wholly in it or not at all). */
export function ownCommit(own: OwnTail, commit: string): StoredEvent[] | undefined {
  const events = own.events.filter((e) => e.commit === commit);
  return events.length > 0 ? events : undefined;
}
