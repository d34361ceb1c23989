/**
 * The engine's side of sync (docs/protocol.md, docs/architecture.md): the sync loop (./syncLink.ts, loaded only by
 * stores that sync), the status it reports, and the calls store.sync makes. The loop reads
 * pending commits and writes what the server said only through the engine (SyncHost): an
 * integration is an op of the engine's writer queue.
 */
import { SyncError } from '../core/errors/index.ts';
import type { LogDb } from '../storage/schema.ts';
import type { IntegrateInput, IntegrateResult, SyncStatus } from '../sync/host.ts';
import type { HttpTransport, Syncer } from '../sync/index.ts';
import type { EngineConfig } from './config.ts';
import type { integrate } from './integrate.ts';

export type { SyncStatus };

/** What the bridge needs of the engine. */
export interface SyncBridgeHost {
  readonly db: LogDb;
  /** Queues the integration of what the server said (an op of the writer), run by `run`. */
  integrate(input: IntegrateInput, run: typeof integrate): Promise<IntegrateResult>;
  /** The sync status changed (announce it; tell the other tabs when leading). */
  statusChanged(status: SyncStatus, leading: boolean): void;
}

export class SyncBridge {
  status: SyncStatus = { sync: 'off' };
  #syncer: Syncer | undefined;
  /** ./syncLink.ts, loaded by load() for a store with sync. */
  #link: typeof import('./syncLink.ts') | undefined;

  private constructor(
    /** Where compacted history comes from (./restore.ts): the sync server; none without sync. */
    readonly transport: HttpTransport | undefined,
  ) {}

  /** The transport for a store with `sync` options (loaded on demand: a local-only worker stays smaller). */
  static async load(config: EngineConfig): Promise<SyncBridge> {
    if (!config.sync) return new SyncBridge(undefined);
    const link = await import('./syncLink.ts');
    const { url, logId, token, encryption } = config.sync;
    // sync.encryption is checked here (a TypeError), with the code that uses it.
    const sealer = encryption === undefined ? undefined : new link.Sealer(logId, encryption);
    await sealer?.ready();
    const bridge = new SyncBridge(new link.HttpTransport({ url, logId, token, fetch: config.fetch, sealer }));
    bridge.#link = link;
    return bridge;
  }

  /** Makes the sync loop (not started) for `host`. */
  connect(config: EngineConfig, host: SyncBridgeHost): void {
    if (!config.sync || !this.#link || !this.transport) return;
    const setSync = (patch: Partial<SyncStatus>) => {
      const next = { ...this.status, ...patch };
      const now = this.status;
      if (
        next.sync === now.sync &&
        next.lastSyncedAt === now.lastSyncedAt &&
        next.lastError === now.lastError &&
        next.serverHead === now.serverHead
      )
        return;
      this.status = next;
      host.statusChanged(next, this.#syncer?.leading ?? false);
    };
    this.#syncer = this.#link.makeSyncer({ db: host.db, integrate: host.integrate, setSync }, this.transport, {
      live: config.sync.live ?? true,
      lockName: `eventloom:sync:${config.name}`,
      token: config.token,
    });
  }

  start(): void {
    this.#syncer?.start();
  }

  /** Another tab's sync status: shown here when that tab syncs for this database (this one does not). */
  takePeerStatus(status: SyncStatus): boolean {
    if (!this.#syncer || this.#syncer.leading || this.#syncer.paused) return false;
    this.status = status;
    return true;
  }

  /** New pending commits (or pending ones left): push soon. */
  poke(): void {
    this.#syncer?.poke();
  }

  /** The page's online/offline event (worker mode); a store without sync has no use for it. */
  network(online: boolean): void {
    this.#syncer?.network(online);
  }

  #need(): Syncer {
    if (!this.#syncer) throw new SyncError('This store has no sync: pass createStore({ sync: { url, logId } }) to sync with a server');
    return this.#syncer;
  }

  now(): Promise<void> {
    return this.#need().now();
  }

  pause(): void {
    this.#need().pause();
  }

  resume(): void {
    this.#need().resume();
  }

  setToken(token: string): void {
    this.#need().setToken(token);
  }

  async close(): Promise<void> {
    await this.#syncer?.close();
  }
}
