/** What an engine is opened with (createStore() in-process, serveStore() in a worker), and its checks. */
import * as v from 'valibot';
import type { OpenOptions } from '../api/contract.ts';
import type { StorageLike } from '../api/store.ts';
import type { Projection } from '../core/projection.ts';
import type { Upcasters } from '../core/upcast.ts';
import { LogIdSchema } from '../protocol/logId.ts';
import type { TokenSource } from '../sync/host.ts';

export interface EngineConfig extends OpenOptions {
  projections: Record<string, Projection<any>>;
  /** Per event type, the upcasters from each older payload shape (core/upcast.ts). */
  upcasters?: Upcasters | undefined;
  indexedDB?: IDBFactory | undefined;
  IDBKeyRange?: typeof IDBKeyRange | undefined;
  /** The transport's fetch (tests, fault injection); default globalThis.fetch. */
  fetch?: typeof fetch | undefined;
  /** Gives the sync token at start and after each 401 (instead of sync.token). */
  token?: TokenSource | undefined;
  /** Whose estimate and persistence status.storage reports; default navigator.storage. */
  storage?: StorageLike | undefined;
  /** In-process only: every write rejects with ReadOnlyStoreError (client/local.ts; devtools openLogExport). */
  readOnly?: boolean | undefined;
}

const DEFAULT_SNAPSHOT_EVERY = 1000;

/** createStore({ snapshotEvery }): a positive interval, or 0 (no snapshots). */
export function snapshotInterval(option: number | undefined): number {
  const every = option ?? DEFAULT_SNAPSHOT_EVERY;
  return Number.isFinite(every) && every > 0 ? Math.floor(every) : 0;
}

/** createStore({ sync }): an http(s) url, a logId the server accepts (protocol/wire.ts), an optional token string. */
export function validateSyncOptions(sync: NonNullable<OpenOptions['sync']>): void {
  const ok =
    typeof sync === 'object' &&
    typeof sync.url === 'string' &&
    /^https?:\/\//.test(sync.url) &&
    v.is(LogIdSchema, sync.logId) &&
    (sync.token === undefined || typeof sync.token === 'string');
  if (!ok)
    throw new TypeError(
      'createStore: sync needs { url: "http(s)://…", logId: 1..128 of [A-Za-z0-9._:-] not starting with ".", token?: string }',
    );
}
