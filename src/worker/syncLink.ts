/**
 * What a store that syncs loads on demand (./syncBridge.ts): the sync loop (src/sync/), wired
 * to the engine through SyncHost with the reads it needs (storage/pushable.ts), and the
 * integration of what the server says (./integrate.ts, with the pure merge core/rebase.ts).
 * A store without sync loads none of it.
 */
import { readConfirmedHeadNow, readPushable } from '../storage/pushable.ts';
import type { LogDb } from '../storage/schema.ts';
import type { IntegrateInput, IntegrateResult, SyncHost, TokenSource } from '../sync/host.ts';
import { HttpTransport, Sealer, Syncer } from '../sync/index.ts';
import { integrate } from './integrate.ts';

export { HttpTransport, Sealer };

/** What the loop needs of the engine. */
export interface SyncLinkHost {
  readonly db: LogDb;
  /** Queues the integration of what the server said (an op of the writer), run by `run`. */
  integrate(input: IntegrateInput, run: typeof integrate): Promise<IntegrateResult>;
  setSync: SyncHost['setSync'];
}

/** The sync loop (not started) of a store, over `transport`. */
export function makeSyncer(
  host: SyncLinkHost,
  transport: HttpTransport,
  options: { live: boolean; lockName: string; token: TokenSource | undefined },
): Syncer {
  const syncHost: SyncHost = {
    pushable: (from) => readPushable(host.db, from),
    confirmedHead: () => readConfirmedHeadNow(host.db),
    integrate: (input) => host.integrate(input, integrate),
    setSync: host.setSync,
  };
  return new Syncer(syncHost, transport, options);
}
