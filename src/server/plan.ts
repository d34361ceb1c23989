/**
 * The server's push rule, pure: storages gather the lookups inside their transaction, call
 * planPush(), then write its rows. One rule, every storage (exported by "eventloom/server"
 * for storages written elsewhere: see docs/server-storage.md).
 *
 * Invariants:
 * 1. A commit (consecutive events sharing `commit`) is confirmed or rejected as a whole;
 *    its events get consecutive positions head+1, head+2, ...
 * 2. Idempotent by event id: a commit whose ids the log already has gets its original
 *    positions back and writes nothing.
 * 3. `expectedVersion` (on the commit's events, one stream) is checked against the
 *    stream's version: its number of non-marker events. A mismatch rejects the commit with
 *    { error: 'conflict', streamVersion } for each of its events.
 * 4. An id names one event for good: a pushed id the log holds with other content (type,
 *    stream, commit, payload, meta) is a ConflictingPushError (409); nothing of the push is
 *    stored and the stored event is unchanged.
 * 5. A marker ($undo/$redo) names a commit the log holds, or one placed earlier in the same
 *    push, and never a marker commit; else the push is invalid (400).
 */
import type { PositionedEvent, PushResult, WireEvent } from '../protocol/wire.ts';

export interface PushLookups {
  head: number;
  /** The events the log already has among the pushed ids. */
  existing: ReadonlyMap<string, PositionedEvent>;
  /** Versions of the streams the push names (absent = 0). */
  versions: ReadonlyMap<string, number>;
  /**
   * The commits the push's markers name (markerTargets()) that the log holds: true for a
   * marker commit, false for an app commit. Absent: not in the log.
   */
  targets: ReadonlyMap<string, boolean>;
}

export interface PushPlan {
  /** The push's answer, one result per pushed event, in push order. */
  results: PushResult[];
  /** The events to store, at their positions head+1... (without expectedVersion). */
  rows: PositionedEvent[];
  /** The log's head once `rows` are stored. */
  head: number;
  /** The new versions of the streams that changed. */
  versions: Map<string, number>;
}

/** A push the rule refuses (invariants 1 and 5, a repeated id, a split commit): 400. */
export class InvalidPushError extends Error {
  override readonly name = 'InvalidPushError';
}

/** A pushed id the log holds with other content (invariant 4): 409. */
export class ConflictingPushError extends Error {
  override readonly name = 'ConflictingPushError';
}

const isMarker = (e: WireEvent): boolean => e.type === '$undo' || e.type === '$redo';
const targetOf = (e: WireEvent): string => (e.payload as { commit: string }).commit;

/** The commits that the markers of a push name: what a storage looks up for `targets`. */
export function markerTargets(events: readonly WireEvent[]): string[] {
  return [...new Set(events.filter(isMarker).map(targetOf))];
}

/** JSON data as stored: JSON text, so a payload read back compares equal to the pushed one. */
const json = (value: unknown): string | undefined => JSON.stringify(value); // undefined for undefined

/** The fields that make an event what it is (invariant 4); the first that differs. */
function changedField(stored: PositionedEvent, pushed: WireEvent): string | undefined {
  if (stored.type !== pushed.type) return 'type';
  if (stored.stream !== pushed.stream) return 'stream';
  if (stored.commit !== pushed.commit) return 'commit';
  if (json(stored.payload) !== json(pushed.payload)) return 'payload';
  if (json(stored.meta) !== json(pushed.meta)) return 'meta';
  return undefined;
}

export function groupCommits(events: readonly WireEvent[]): WireEvent[][] {
  const groups: WireEvent[][] = [];
  for (const e of events) {
    const last = groups[groups.length - 1];
    if (last && last[0]!.commit === e.commit) last.push(e);
    else groups.push([e]);
  }
  return groups;
}

export function planPush(events: readonly WireEvent[], lookups: PushLookups): PushPlan {
  const ids = new Set<string>();
  for (const e of events) {
    if (ids.has(e.id)) throw new InvalidPushError(`event id ${e.id} appears twice in one push`);
    ids.add(e.id);
  }
  const groups = groupCommits(events);
  const commits = new Set<string>();
  const versions = new Map<string, number>();
  const version = (stream: string) => versions.get(stream) ?? lookups.versions.get(stream) ?? 0;
  const results: PushResult[] = [];
  const rows: PositionedEvent[] = [];
  // Commits this push places, and whether each is a marker commit (invariant 5).
  const placed = new Map<string, boolean>();
  let head = lookups.head;

  for (const group of groups) {
    const commit = group[0]!.commit;
    if (commits.has(commit)) throw new InvalidPushError(`the events of commit ${commit} must be consecutive in a push`);
    commits.add(commit);
    const known = group.filter((e) => lookups.existing.has(e.id));
    for (const e of known) {
      const field = changedField(lookups.existing.get(e.id)!, e);
      if (field !== undefined) {
        throw new ConflictingPushError(`event ${e.id} is already in the log with another ${field}: an id names one event for good`);
      }
    }
    if (known.length === group.length) {
      for (const e of group) results.push({ id: e.id, position: lookups.existing.get(e.id)!.position });
      continue;
    }
    if (known.length > 0) throw new InvalidPushError(`commit ${commit} is partly in the log already: a commit is pushed whole`);
    for (const e of group) {
      if (!isMarker(e)) continue;
      const target = targetOf(e);
      const marker = placed.get(target) ?? lookups.targets.get(target);
      if (marker === undefined)
        throw new InvalidPushError(`${e.type} ${e.id} names commit ${target}, which the log does not hold (nor this push before it)`);
      if (marker)
        throw new InvalidPushError(`${e.type} ${e.id} names commit ${target}, which is a marker: markers cannot be undone or redone`);
    }

    const expected = group.find((e) => e.expectedVersion !== undefined)?.expectedVersion;
    if (expected !== undefined) {
      const streams = new Set(group.map((e) => e.stream));
      if (streams.size > 1) throw new InvalidPushError(`commit ${commit} has expectedVersion but spans ${streams.size} streams`);
      const stream = group[0]!.stream;
      const actual = version(stream);
      if (actual !== (expected === 'none' ? 0 : expected)) {
        for (const e of group) results.push({ id: e.id, error: 'conflict', streamVersion: actual });
        continue;
      }
    }
    for (const e of group) {
      head++;
      const { expectedVersion: _, ...event } = e;
      rows.push({ ...event, position: head });
      results.push({ id: e.id, position: head });
      if (!e.type.startsWith('$')) versions.set(e.stream, version(e.stream) + 1);
    }
    placed.set(commit, group.every(isMarker));
  }
  return { results, rows, head, versions };
}
