/**
 * The sync merge, as a pure function (docs/protocol.md "What the toolkit's client does"): given the confirmed head, the page of
 * confirmed events the server sent, the pending commits and what the server rejected, it
 * decides what the log becomes. worker/integrate.ts reads its inputs and writes its plan.
 *
 * Invariants of a plan:
 * 1. `gap` unless the server's events (those past the confirmed head) start right after it:
 *    nothing is written, and the caller pulls from `confirmed` instead.
 * 2. The log after a rebase is: the confirmed prefix, then `remote` at positions
 *    confirmed+1.., then the pending commits that survive, in their order, packed into
 *    groups that tile the positions after `remote` with no gap.
 * 3. Every pending event ends up exactly once: confirmed (its id is among `remote`), in a
 *    surviving group, or in a rejected commit (whole commits only; an event the server
 *    confirmed is never rejected).
 * 4. A commit with an expectedVersion keeps a group of its own (the group's `ev` is its
 *    commit's); others are packed up to `groupEvents` events per group (the survivors of
 *    one pending group stay together, however many).
 * 5. Our own events come back from the server as they were pushed: one whose schemaVersion
 *    came back changed is a ProtocolError (the server does not keep the field), not data.
 */
import { ProtocolError } from './errors/index.ts';

/** An event as the rebase sees it. */
export interface RebaseEvent {
  readonly id: string;
  readonly commit: string;
  readonly stream: string;
  readonly schemaVersion?: number | undefined;
}

/** A run of pending events that share an expectedVersion (a record of the local log). */
export interface PendingGroup<E extends RebaseEvent> {
  readonly events: readonly E[];
  /** The commit's expectedVersion, when it had one (then the group is that one commit). */
  readonly ev?: number | 'none' | undefined;
}

/** What the server said of a commit it will not take: its stream's version (expectedVersion), or why. */
export type Rejection =
  | { readonly commit: string; readonly streamVersion: number }
  | { readonly commit: string; readonly reason: { name: string; message: string } };

export interface RebaseInput<E extends RebaseEvent, R extends RebaseEvent & { position: number }> {
  /** The position of the last confirmed event in the local log. */
  readonly confirmed: number;
  /** The server's events, ascending by position; those at or below `confirmed` are ignored. */
  readonly remote: readonly R[];
  /** The pending tail, in log order. */
  readonly pending: readonly PendingGroup<E>[];
  readonly rejected: readonly Rejection[];
}

interface RejectedCommit {
  readonly commit: string;
  readonly reason: { name: string; message: string };
  readonly streamVersion?: number;
}

export type RebasePlan<E extends RebaseEvent, R extends RebaseEvent & { position: number }> =
  | { readonly kind: 'gap'; readonly confirmed: number }
  | { readonly kind: 'unchanged'; readonly confirmed: number }
  | {
      readonly kind: 'rebase';
      /** The first position the plan changes. */
      readonly from: number;
      /** The confirmed head after the plan. */
      readonly confirmed: number;
      /** The server's events to confirm, at positions from.. */
      readonly remote: readonly R[];
      /** The surviving pending events, packed, each group with its first position (new arrays: the caller may keep them). */
      readonly pending: readonly { readonly first: number; readonly events: E[]; readonly ev?: number | 'none' }[];
      readonly pendingCount: number;
      /** The commits that leave the log, in log order. */
      readonly rejected: readonly RejectedCommit[];
    };

/** Events per packed pending group (a backlog of one-event commits is a few records to write, not one per commit). */
export const PACK_EVENTS = 1000;

export function rebase<E extends RebaseEvent, R extends RebaseEvent & { position: number }>(
  input: RebaseInput<E, R>,
  groupEvents = PACK_EVENTS,
): RebasePlan<E, R> {
  const { confirmed } = input;
  const remote = pastConfirmed(input.remote, confirmed);
  if (!remote) return { kind: 'gap', confirmed };
  checkSchemaVersions(input.pending, remote);
  const remoteIds = new Set(remote.map((e) => e.id));
  const rejectedBy = new Map(input.rejected.map((r) => [r.commit, r]));
  const survivors: PendingGroup<E>[] = [];
  const rejected: RejectedCommit[] = [];
  const seen = new Set<string>();
  for (const group of input.pending) {
    const keep = group.events.filter((e) => !remoteIds.has(e.id) && !rejectedBy.has(e.commit));
    if (keep.length > 0) survivors.push({ events: keep, ev: group.ev });
    for (const e of group.events) {
      const why = rejectedBy.get(e.commit);
      if (!why || remoteIds.has(e.id) || seen.has(e.commit)) continue;
      seen.add(e.commit);
      if ('reason' in why) {
        rejected.push({ commit: e.commit, reason: why.reason });
        continue;
      }
      rejected.push({
        commit: e.commit,
        reason: {
          name: 'ConcurrencyError',
          message: `The server rejected commit ${e.commit}: stream "${e.stream}" is at version ${why.streamVersion}, not the expected ${String(group.ev)}`,
        },
        streamVersion: why.streamVersion,
      });
    }
  }
  if (remote.length === 0 && rejected.length === 0) return { kind: 'unchanged', confirmed };

  const pending: { first: number; events: E[]; ev?: number | 'none' }[] = [];
  let next = confirmed + remote.length + 1;
  let packed: E[] = [];
  const pack = (events: E[], ev?: number | 'none') => {
    if (events.length === 0) return;
    pending.push(ev === undefined ? { first: next, events } : { first: next, events, ev });
    next += events.length;
  };
  for (const group of survivors) {
    if (group.ev !== undefined || packed.length + group.events.length > groupEvents) {
      pack(packed);
      packed = [];
    }
    if (group.ev !== undefined) pack([...group.events], group.ev);
    else packed.push(...group.events);
  }
  pack(packed);
  return {
    kind: 'rebase',
    from: confirmed + 1,
    confirmed: confirmed + remote.length,
    remote,
    pending,
    pendingCount: next - (confirmed + remote.length + 1),
    rejected,
  };
}

/** The server's events past the confirmed head; undefined if they do not start right after it (a gap, invariant 1). */
export function pastConfirmed<R extends { position: number }>(remote: readonly R[], confirmed: number): R[] | undefined {
  const past = remote.filter((e) => e.position > confirmed);
  return past.length > 0 && past[0]!.position !== confirmed + 1 ? undefined : past;
}

/**
 * Do the server's events confirm our own pending events, in the order the log has them (no
 * other replica's events before them)? Then their positions stay and nothing after them
 * moves: worker/integrate.ts confirms them in place, with no rebase and no replay.
 */
export function confirmsInOrder(remote: readonly RebaseEvent[], local: readonly RebaseEvent[]): boolean {
  return local.length >= remote.length && remote.every((e, i) => e.id === local[i]!.id);
}

/** Invariant 5: our events, pushed with one schemaVersion, must come back with it. */
export function checkSchemaVersions(pending: readonly PendingGroup<RebaseEvent>[], remote: readonly RebaseEvent[]): void {
  if (pending.length === 0 || remote.length === 0) return;
  const mine = new Map<string, number>();
  for (const group of pending) for (const e of group.events) mine.set(e.id, e.schemaVersion ?? 1);
  for (const e of remote) {
    const version = mine.get(e.id);
    if (version !== undefined && version !== (e.schemaVersion ?? 1)) {
      throw new ProtocolError(
        `The server returned event ${e.id} with schemaVersion ${e.schemaVersion ?? 1}, but it was pushed with ${version}: the server does not keep schema versions; upgrade it before the apps that use upcasters`,
        { details: { eventId: e.id, pushed: version, returned: e.schemaVersion ?? 1 } },
      );
    }
  }
}
