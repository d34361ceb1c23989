/**
 * The replica side of a Syncer for the sync loop's unit tests: a confirmed log and pending
 * commits in memory, integrated as the engine does (remote events after the head, a gap when
 * a page skips positions, commits confirmed or rejected by id), and every status it was given.
 */
import { afterEach, beforeEach, vi } from 'vitest';
import type { Syncer } from '../../src/sync/index.ts';
import type { PositionedEvent, WireEvent } from '../../src/protocol/wire.ts';
import type { RejectedRecord } from '../../src/storage/schema.ts';
import type { IntegrateInput, IntegrateResult, SyncHost } from '../../src/sync/host.ts';

export type SyncPatch = Parameters<SyncHost['setSync']>[0];

export class FakeReplica implements SyncHost {
  log: PositionedEvent[] = [];
  pending: WireEvent[][] = [];
  rejected: RejectedRecord[] = [];
  status: SyncPatch = { sync: 'idle' };
  statuses: SyncPatch['sync'][] = [];
  integrated: IntegrateInput[] = [];

  async pushable() {
    return { confirmed: this.log.length, commits: this.pending.map((c) => [...c]) };
  }

  async confirmedHead() {
    return this.log.length;
  }

  async integrate(input: IntegrateInput): Promise<IntegrateResult> {
    this.integrated.push(input);
    const head = this.log.length;
    const fresh = input.remote.filter((e) => e.position > head);
    if (fresh.length > 0 && fresh[0]!.position !== head + 1) return { gap: true, confirmed: head, rejected: [], changed: false };
    this.log.push(...fresh);
    const confirmedIds = new Set(this.log.map((e) => e.id));
    const why = new Map(input.rejected.map((r) => [r.commit, r]));
    const out: RejectedRecord[] = [];
    this.pending = this.pending.filter((commit) => {
      if (commit.every((e) => confirmedIds.has(e.id))) return false;
      const r = why.get(commit[0]!.commit);
      if (!r) return true;
      const reason = 'reason' in r ? r.reason : { name: 'ConcurrencyError', message: `stream at ${r.streamVersion}` };
      out.push({ commit: commit[0]!.commit, events: [], reason, at: 0 });
      return false;
    });
    this.rejected.push(...out);
    return { gap: false, confirmed: this.log.length, rejected: out, changed: fresh.length + out.length > 0 };
  }

  setSync(patch: SyncPatch) {
    this.status = { ...this.status, ...patch };
    if (patch.sync !== undefined) this.statuses.push(patch.sync); // the sync state's changes; behind moves alone
  }
}

/**
 * Fake timers for a test file's syncers (Math.random pinned to 1: backoffs at their bound);
 * each test's syncers, pushed onto the returned list, are closed after it.
 */
export function fakeSyncClock(): Syncer[] {
  const syncers: Syncer[] = [];
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 });
    vi.spyOn(Math, 'random').mockReturnValue(1);
  });
  afterEach(async () => {
    const closing = Promise.all(syncers.splice(0).map((s) => s.close()));
    await vi.runAllTimersAsync();
    await closing;
    vi.useRealTimers();
    vi.restoreAllMocks();
    vi.unstubAllGlobals();
  });
  return syncers;
}

/** Lets the loop's promises settle without moving the clock. */
export const settle = () => vi.advanceTimersByTimeAsync(0);
