/**
 * What the sync loop (./syncer.ts) needs of the store it syncs, and what it hands over: the
 * engine implements SyncHost (worker/syncBridge.ts); the loop never touches the log itself.
 */
import type { StoreStatus } from '../api/store.ts';
import type { PositionedEvent, WireEvent } from '../protocol/wire.ts';

/**
 * What the sync loop reports of itself: StoreStatus's sync fields, and the server's head as
 * its last answer said, from which each status derives `behind` against the log's confirmed
 * head at that moment (so the two never disagree within one status).
 */
export type SyncStatus = Pick<StoreStatus, 'sync' | 'lastSyncedAt' | 'lastError'> & { serverHead?: number };

/** Gives the bearer token: at start and after each 401 (createStore / serveStore `sync.token` as a function). */
export type TokenSource = () => string | Promise<string>;

export interface SyncHost {
  /**
   * Pending commits and the confirmed head they follow, read together: from the first
   * pending one, or from position `from`; `next`: where the next page starts, if any.
   */
  pushable(from?: number): Promise<{ confirmed: number; commits: WireEvent[][]; next?: number | undefined; epoch?: number | undefined }>;
  confirmedHead(): Promise<number>;
  integrate(input: IntegrateInput): Promise<IntegrateResult>;
  setSync(patch: Partial<SyncStatus>): void;
}

/** What the server said, for the engine to integrate into the log (worker/integrate.ts, core/rebase.ts). */
export interface IntegrateInput {
  /** Confirmed events from the server, ascending; those at or below the confirmed head are ignored. */
  remote: PositionedEvent[];
  /**
   * Commits the server rejected: for expectedVersion (with the stream's version there), or
   * as a commit it can never accept (with the server's reason).
   */
  rejected: ({ commit: string; streamVersion: number } | { commit: string; reason: { name: string; message: string } })[];
  /**
   * The remote events are this log's own pending events, pushed as read at this rewrite
   * epoch (SyncHost.pushable's `epoch`), in log order from the confirmed head on: if the
   * epoch has not moved since, their records need not be read again to be confirmed.
   */
  readAt?: number;
}

export interface IntegrateResult {
  /** The remote events did not continue the confirmed prefix: pull from `confirmed` instead. */
  gap: boolean;
  /** The confirmed head after the integration. */
  confirmed: number;
  /** The commits that left the log, with why. */
  rejected: readonly { commit: string; reason: { name: string; message: string } }[];
  changed: boolean;
}
