/**
 * What a view (./view.ts) keeps of the recent log in memory (Draft invariants 4 and 5): the
 * head states of the last few operations, and this client's newest events. Both are
 * immutable values, replaced rather than changed, so a checkpoint or the engine can keep
 * one by reference.
 */
import { isMarkerType, type StoredEvent } from '../core/event.ts';
import type { Projection } from '../core/projection.ts';
import { frozen, type States } from '../core/replay.ts';

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

/**
 * This client's events from `from` to the head, oldest first (Draft invariant 5). `from`
 * is where a commit starts (or the head + 1), so a commit is wholly in `events` or not at all.
 */
export interface OwnEvents {
  readonly from: number;
  readonly events: readonly StoredEvent[];
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

/**
 * Collects, during a replay of the head view (fold's `beforeEvent`), the states before this
 * client's commits, where their undo() would start: the last RECENT of them whose position
 * `valid` accepts (the rule of recentAt: then the head view's state there is the state the
 * log had there). So an undo() past the RECENT newest commits, which replays from a
 * snapshot, leaves the states for the next RECENT undo()s, and start-up's replay of the tail
 * leaves them for an undo() after a reopen.
 */
export class RecentCollector {
  readonly #found: RecentStates[] = [];
  #last: string | undefined;
  #running: number;

  /** `from`: where every projection's replay has started (no state before it is whole). */
  constructor(
    private readonly clientId: string,
    private readonly from: number,
    maxTime: number,
    private readonly valid: (position: number) => boolean,
  ) {
    this.#running = maxTime;
  }

  readonly beforeEvent = (event: StoredEvent, states: States): void => {
    const starts = event.commit !== this.#last && event.clientId === this.clientId && !isMarkerType(event.type);
    this.#last = event.commit;
    const position = event.position - 1;
    if (starts && position >= this.from && this.valid(position)) {
      if (this.#found.length === RECENT) this.#found.shift();
      this.#found.push({ position, maxTime: this.#running, states: { ...states } });
    }
    if (event.time > this.#running) this.#running = event.time;
  };

  /**
   * `recent` with what was collected: by position, valid ones only, the newest RECENT. The
   * collected states are frozen first, each against the one before it (`start`: the states
   * the replay started from, frozen), so each costs the walk of its change.
   */
  merge(recent: readonly RecentStates[], projections: readonly Projection<unknown>[], start: States): readonly RecentStates[] {
    if (this.#found.length === 0) return recent;
    let previous = start;
    for (const entry of this.#found) {
      const states = entry.states as Record<string, unknown>;
      for (const p of projections) states[p.name] = frozen(p, states[p.name], previous[p.name]);
      previous = states;
    }
    const byPosition = new Map<number, RecentStates>();
    for (const entry of [...this.#found, ...recent]) if (this.valid(entry.position)) byPosition.set(entry.position, entry);
    return [...byPosition.values()].sort((a, b) => a.position - b.position).slice(-RECENT);
  }
}

/** `own` with this client's newly written events added, the newest OWN kept (Draft invariant 5). */
export function addOwn(own: OwnEvents, events: readonly StoredEvent[]): OwnEvents {
  return capped(own.from, [...own.events, ...events]);
}

/**
 * `own` extended back to `from` with the own events before it (`older`, oldest first, all of
 * this client's events from `from` on), as a history walk read them from the log.
 */
export function prependOwn(own: OwnEvents, from: number, older: readonly StoredEvent[]): OwnEvents {
  return from < own.from ? capped(from, [...older, ...own.events]) : own;
}

/** The newest OWN events at most, cut between two commits so that `from` is where a commit starts. */
function capped(from: number, all: readonly StoredEvent[]): OwnEvents {
  if (all.length <= OWN) return { from, events: all };
  let cut = all.length - OWN;
  while (cut < all.length && all[cut]!.commit === all[cut - 1]!.commit) cut++;
  const kept = all.slice(cut);
  return { from: kept[0]?.position ?? all[all.length - 1]!.position + 1, events: kept };
}

/** The events of an own commit, if `own` holds them (a commit is wholly in it or not at all). */
export function ownCommit(own: OwnEvents, commit: string): StoredEvent[] | undefined {
  const events = own.events.filter((e) => e.commit === commit);
  return events.length > 0 ? events : undefined;
}
