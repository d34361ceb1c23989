/**
 * One sync round's push (./syncer.ts): the pending commits, read a page at a time, sent in
 * chunks; those the server refuses leave the log; those it placed right after what the log
 * has confirmed are confirmed from its answers.
 */
import { isSyncError, type SyncError } from '../core/errors/index.ts';
import type { HttpTransport } from './http.ts';
import type { PositionedEvent, PushResult, WireEvent } from '../protocol/wire.ts';
import type { IntegrateInput, SyncHost } from './host.ts';

/** What a push needs of its syncer. */
export interface PushContext {
  host: SyncHost;
  transport: HttpTransport;
  maxEventsPerPush: number;
  signal: AbortSignal;
  /** Throws if sync was paused: a push in flight sends nothing further. */
  assertRunning(): void;
  /** Commits the server rejected leave the log (host.integrate), and the status says so. */
  rejected(rejected: IntegrateInput['rejected']): Promise<void>;
}

/**
 * A pushed chunk as confirmed events, from the server's answer alone, when the server placed
 * every event of it right after `confirmed` (what the log has confirmed, with the chunks
 * before it): no other replica's events came between, so the log needs no rebase, only its
 * records marked confirmed, and pulling them back would bring exactly this. Undefined when
 * not so, or when the chunk carries schema versions: those come back by the pull, which is
 * how a server that does not keep them is caught (worker/integrate.ts checkSchemaVersions).
 */
function confirmFromAnswer(events: readonly WireEvent[], results: readonly PushResult[], confirmed: number): PositionedEvent[] | undefined {
  if (results.length !== events.length) return undefined;
  const remote: PositionedEvent[] = [];
  for (const [j, e] of events.entries()) {
    const r = results[j]!;
    if (!('position' in r) || r.position !== confirmed + 1 + j || e.schemaVersion !== undefined) return undefined;
    const { expectedVersion: _, ...event } = e;
    remote.push({ ...event, position: r.position });
  }
  return remote;
}

/**
 * Events confirmed from push answers per integration, while the next chunks are sent (see
 * pushPending). Fewer is slower: for a 10k backlog, confirming every 1000 events gave
 * backlog.push10k 0.25, every 5000 0.31, once 0.43-0.49 (each integration is a write
 * transaction and an announcement, and the first one moves the epoch, so the later ones
 * read the records they confirm).
 */
const CONFIRM_EVENTS = 10_000;

/**
 * Pushes the pending commits in chunks of at most maxEventsPerPush events (a larger commit
 * goes alone), reading them a page at a time (the next page while a chunk is in flight). A
 * chunk the server refuses as too large or invalid is split in halves until the commit at
 * fault stands alone; that commit leaves the log (./syncer.ts invariant 3). Chunks the server placed
 * right after what the log has confirmed are confirmed from its answers (confirmFromAnswer),
 * CONFIRM_EVENTS at a time, while the next chunks are sent. Answers whether commits
 * may still be pending (pushed and not confirmed so).
 */
export async function pushPending(ctx: PushContext): Promise<boolean> {
  let page = await ctx.host.pushable();
  // The pending commits all lie after `confirmed` on the server (http.ts push()).
  const { confirmed, epoch } = page;
  /**
   * Every page was read at one epoch: the confirmations may say so (IntegrateInput.readAt).
   * A confirmation moves the epoch too, so past CONFIRM_EVENTS a backlog's later pages are
   * read at another, and their confirmations read the records they confirm.
   */
  let sameEpoch = epoch !== undefined;
  let pushed = false;
  let limit = ctx.maxEventsPerPush;
  let maxCommits = Infinity;
  /** Where the log is confirmed once the confirmations so far are applied; undefined once one cannot be. */
  let local: number | undefined = confirmed;
  let answered: PositionedEvent[] = [];
  const confirms: Promise<boolean>[] = [];
  let applied: boolean[] = [];
  const confirm = () => {
    if (answered.length === 0) return;
    const input: IntegrateInput = { remote: answered, rejected: [] };
    if (sameEpoch && epoch !== undefined) input.readAt = epoch;
    const done = ctx.host.integrate(input).then(
      (r) => !r.gap,
      () => false,
    ); // a failed one leaves its events to the pull
    answered = [];
    confirms.push(done);
  };
  try {
    for (;;) {
      const { commits, next } = page;
      const reading = next === undefined ? undefined : ctx.host.pushable(next);
      reading?.catch(() => undefined); // awaited below, unless this page's push fails first
      pushed ||= commits.length > 0;
      let i = 0;
      while (i < commits.length) {
        const chunk: WireEvent[][] = [];
        let n = 0;
        while (
          i + chunk.length < commits.length &&
          chunk.length < maxCommits &&
          (chunk.length === 0 || n + commits[i + chunk.length]!.length <= limit)
        ) {
          n += commits[i + chunk.length]!.length;
          chunk.push(commits[i + chunk.length]!);
        }
        let response: Awaited<ReturnType<typeof ctx.transport.push>>;
        ctx.assertRunning();
        try {
          response = await ctx.transport.push(chunk.flat(), confirmed, ctx.signal);
        } catch (error) {
          if (!neverAccepted(error)) throw error;
          const status = error.details['status'];
          if (chunk.length > 1) {
            // Find the commit at fault: halve the chunk (and, for 413, what the server takes).
            maxCommits = Math.ceil(chunk.length / 2);
            if (status === 413) limit = Math.max(1, Math.floor(n / 2));
            continue;
          }
          confirm(); // what was confirmed before it goes first, in log order
          await ctx.rejected([refusal(chunk[0]!, error)]);
          local = undefined;
          i += 1;
          continue;
        }
        const rejected = new Map<string, number>();
        for (const [j, r] of response.results.entries()) {
          if ('error' in r) rejected.set(chunk.flat()[j]!.commit, r.streamVersion);
        }
        if (rejected.size > 0) {
          confirm();
          await ctx.rejected([...rejected].map(([commit, streamVersion]) => ({ commit, streamVersion })));
        }
        const remote: PositionedEvent[] | undefined =
          local === undefined ? undefined : confirmFromAnswer(chunk.flat(), response.results, local);
        if (remote) {
          local = remote[remote.length - 1]!.position;
          answered = answered.concat(remote);
          if (answered.length >= CONFIRM_EVENTS) confirm();
        } else local = undefined;
        i += chunk.length;
        maxCommits = maxCommits === Infinity ? Infinity : maxCommits * 2;
      }
      if (!reading) break;
      page = await reading;
      if (page.epoch !== epoch) sameEpoch = false;
    }
  } finally {
    confirm();
    applied = await Promise.all(confirms); // they never reject
  }
  // Confirmed from the answers, every one applied: nothing of ours is left to pull back.
  return pushed && !(local !== undefined && applied.every(Boolean));
}

/** A commit the server can never accept (it answered `error` for it alone): it leaves the log with this reason. */
function refusal(commit: WireEvent[], error: SyncError): IntegrateInput['rejected'][number] {
  const status = error.details['status'];
  const what = status === 413 ? 'as too large' : status === 409 ? 'as conflicting with events it holds' : 'as invalid';
  return {
    commit: commit[0]!.commit,
    reason: {
      name: 'InvalidEventError',
      message: `The sync server refused commit ${commit[0]!.commit} (${commit.length} event${commit.length === 1 ? '' : 's'}) ${what}: ${error.message}`,
    },
  };
}

/** The server refused the request as too large, invalid or conflicting: sending it again would be refused again. */
function neverAccepted(error: unknown): error is SyncError {
  if (!isSyncError(error)) return false;
  const { status, code } = error.details;
  return status === 413 || (status === 400 && code === 'invalid') || (status === 409 && code !== 'http_error');
}
