/**
 * The server's push rule, pure: storages gather the lookups inside their transaction, call
 * planPush(), then write its rows. One rule, every storage.
 *
 * Invariants:
 * 1. A commit (consecutive events sharing `commit`) is confirmed or rejected as a whole;
 *    its events get consecutive positions head+1, head+2, ...
 * 2. Idempotent by event id: a commit whose ids the log already has gets its original
 *    positions back and writes nothing.
 * 3. `expectedVersion` (on the commit's events, one stream) is checked against the
 *    stream's version: its number of non-marker events. A mismatch rejects the commit with
 *    { error: 'conflict', streamVersion } for each of its events.
 */
import type { PositionedEvent, PushResult, WireEvent } from '../sync/protocol.ts';

export interface PushLookups {
  head: number;
  /** Positions of the pushed ids that the log already has. */
  existing: ReadonlyMap<string, number>;
  /** Versions of the streams the push names (absent = 0). */
  versions: ReadonlyMap<string, number>;
}

export interface PushPlan {
  results: PushResult[];
  rows: PositionedEvent[];
  head: number;
  /** The new versions of the streams that changed. */
  versions: Map<string, number>;
}

export class InvalidPushError extends Error {
  override readonly name = 'InvalidPushError';
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
  let head = lookups.head;

  for (const group of groups) {
    const commit = group[0]!.commit;
    if (commits.has(commit)) throw new InvalidPushError(`the events of commit ${commit} must be consecutive in a push`);
    commits.add(commit);
    const known = group.filter((e) => lookups.existing.has(e.id));
    if (known.length === group.length) {
      for (const e of group) results.push({ id: e.id, position: lookups.existing.get(e.id)! });
      continue;
    }
    if (known.length > 0) throw new InvalidPushError(`commit ${commit} is partly in the log already: a commit is pushed whole`);

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
  }
  return { results, rows, head, versions };
}
