/**
 * The pull of a sync round (./syncer.ts invariant 4): pages from the server until the log
 * holds everything up to the server's head, however small the server's pages are.
 */
import { ProtocolError } from '../core/errors/index.ts';
import type { PositionedEvent } from '../protocol/wire.ts';
import type { SyncHost } from './host.ts';
import type { HttpTransport } from './http.ts';

/** Pulled events integrated at once while commits are pending. */
const REBASE_EVENTS = 10_000;

export interface PullContext {
  host: SyncHost;
  transport: HttpTransport;
  /** Events per page asked for. */
  limit: number;
  signal: AbortSignal;
  /** Throws if the loop stopped (closed, paused) meanwhile. */
  assertRunning(): void;
  /** Commits are pending: see pullToHead(). */
  pending: boolean;
}

/**
 * Pulls until the log holds everything up to the server's head. Each integration moves the
 * pending commits after what it brings (a rebase: their records written again, their events
 * replayed), so with commits pending the pages are integrated together, up to REBASE_EVENTS
 * at a time, not one rebase per page.
 */
export async function pullToHead(ctx: PullContext): Promise<void> {
  let cursor = await ctx.host.confirmedHead();
  let held: PositionedEvent[] = [];
  const integrate = async (remote: PositionedEvent[]): Promise<void> => {
    held = [];
    cursor = (await ctx.host.integrate({ remote, rejected: [] })).confirmed;
  };
  for (;;) {
    ctx.assertRunning();
    const page = await ctx.transport.pull(cursor, ctx.limit, ctx.signal);
    if (page.events.length > 0) {
      if (!ctx.pending) await integrate(page.events);
      else {
        held = held.concat(page.events);
        cursor = held[held.length - 1]!.position;
        if (held.length >= REBASE_EVENTS || cursor >= page.head) await integrate(held);
      }
    }
    if (cursor >= page.head) return;
    if (page.events.length === 0) {
      throw new ProtocolError(`The sync server says its log ends at ${page.head} but sent no events after ${cursor}`, {
        details: { head: page.head, after: cursor },
      });
    }
  }
}
