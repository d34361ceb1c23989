/**
 * The pull of a sync round (./syncer.ts invariant 4): pages from the server until the log
 * holds everything up to the server's head, however small the server's pages are.
 */
import { ProtocolError } from '../core/errors/index.ts';
import type { EventsResponse, PositionedEvent } from '../protocol/wire.ts';
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
  /** The server's head, as each page says (StoreStatus.behind). */
  serverHead(head: number): void;
}

/**
 * Pulls until the log holds everything up to the server's head. Each integration moves the
 * pending commits after what it brings (a rebase: their records written again, their events
 * replayed), so with commits pending the pages are integrated together, up to REBASE_EVENTS
 * at a time, not one rebase per page. The next page is asked for as soon as a page arrives,
 * so that its transfer, checks and (sync.encryption) opening overlap the integration of the
 * one before; it is used if the integration ends where that page starts (it does but when
 * another integration, the live stream's, moved the log meanwhile), else asked for again.
 */
export async function pullToHead(ctx: PullContext): Promise<void> {
  let cursor = await ctx.host.confirmedHead();
  let held: PositionedEvent[] = [];
  let ahead: { after: number; page: Promise<EventsResponse> } | undefined;
  const request = (after: number) => {
    const page = ctx.transport.pull(after, ctx.limit, ctx.signal);
    page.catch(() => undefined); // awaited when used; one left unused fails unheard
    return { after, page };
  };
  const integrate = async (remote: PositionedEvent[]): Promise<void> => {
    held = [];
    cursor = (await ctx.host.integrate({ remote, rejected: [] })).confirmed;
  };
  for (;;) {
    ctx.assertRunning();
    const next = ahead?.after === cursor ? ahead : request(cursor);
    const page = await next.page;
    ctx.serverHead(page.head);
    const last = page.events.length > 0 ? page.events[page.events.length - 1]!.position : cursor;
    ahead = last < page.head && page.events.length > 0 ? request(last) : undefined;
    if (page.events.length > 0) {
      if (!ctx.pending) await integrate(page.events);
      else {
        held = held.concat(page.events);
        cursor = last;
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
