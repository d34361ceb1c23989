/**
 * createStore(): opens the engine in-process or in the given worker and resolves once
 * every projection's current state is ready (it never waits on the network).
 */
import { releaseProxy, wrap, type Remote } from 'comlink';
import { InvalidEventError, reviveError } from '../core/errors/index.ts';
import { engineApiOf, type ChangeMessage, type EngineApi, type OpenOptions, type WorkerApi } from '../api/contract.ts';
import { Mirror } from './mirror.ts';
import { StoreImpl } from './store.ts';
import type { CreateStoreOptions, Store } from '../api/store.ts';
import { getOrSet } from '../core/maps.ts';

export async function createStore(options: CreateStoreOptions): Promise<Store> {
  if (typeof options !== 'object' || options === null || typeof options.name !== 'string' || options.name.length === 0) {
    throw new TypeError('createStore: options.name (the IndexedDB database name) must be a non-empty string');
  }
  const openOptions: OpenOptions = { name: options.name };
  if (options.snapshotEvery !== undefined) openOptions.snapshotEvery = options.snapshotEvery;
  if (options.clientId !== undefined) openOptions.clientId = options.clientId;
  if (options.durability !== undefined) openOptions.durability = options.durability;
  if (options.sync !== undefined) {
    const { fetch, token, ...sync } = options.sync;
    if (fetch !== undefined && options.worker) {
      throw new TypeError('createStore: in worker mode, sync.fetch cannot cross to the worker; pass it to serveStore({ fetch }) there');
    }
    if (typeof token === 'function' && options.worker) {
      throw new TypeError(
        'createStore: in worker mode, a sync.token function cannot cross to the worker; pass it to serveStore({ token }) there',
      );
    }
    openOptions.sync = typeof token === 'function' ? sync : { ...sync, ...(token === undefined ? {} : { token }) };
  }

  if (options.upcasters !== undefined && options.worker) {
    throw new TypeError(
      'createStore: in worker mode, upcasters (functions) cannot cross to the worker; pass them to serveStore({ upcasters }) there',
    );
  }
  if (options.storage !== undefined && options.worker) {
    throw new TypeError('createStore: in worker mode, storage cannot cross to the worker; pass it to serveStore({ storage }) there');
  }
  if (options.persist !== undefined) openOptions.persist = options.persist !== false;
  if (options.compaction !== undefined) openOptions.compaction = options.compaction;

  if (options.worker) {
    const { port, changes, opened } = await remoteCall(() => factoryOf(options.worker as Worker).open(openOptions));
    const remote = wrap<EngineApi>(port);
    const mirror = new Mirror(opened);
    // Changes posted before this point wait in the port's queue; the mirror skips those
    // that `opened` already includes (by seq).
    changes.onmessage = (message: MessageEvent<ChangeMessage>) => mirror.applyMessage(message.data);
    if (options.projections) {
      for (const name of Object.keys(options.projections)) {
        if (!mirror.states.has(name)) {
          await remote.close();
          changes.close();
          throw new TypeError(`createStore: the worker's serveStore() has no projection "${name}"`);
        }
      }
    }
    const api = remoteApi(remote);
    // A worker's navigator.storage has no persist(): the page asks (see worker/storageStatus.ts).
    if (options.persist !== false) askPersistence(() => api.refreshStorage());
    // In-process mode the sync loop hears the page's events itself: only worker mode forwards.
    const stopForwarding = options.sync ? forwardNetwork(api) : () => undefined;
    return new StoreImpl(opened.clientId, api, mirror, () => {
      stopForwarding();
      changes.close();
      remote[releaseProxy]();
    });
  }

  // Loaded on demand: in worker mode the main thread never loads the engine nor Dexie.
  const { openLocalStore } = await import('./local.ts');
  return openLocalStore({
    ...openOptions,
    projections: options.projections ?? {},
    upcasters: options.upcasters,
    storage: options.storage,
    indexedDB: options.indexedDB,
    IDBKeyRange: options.IDBKeyRange,
    fetch: options.sync?.fetch,
    token: typeof options.sync?.token === 'function' ? options.sync.token : undefined,
  });
}

function askPersistence(then: () => Promise<void>): void {
  const storage = (globalThis as { navigator?: { storage?: { persist?: () => Promise<boolean> } } }).navigator?.storage;
  if (typeof storage?.persist !== 'function') return;
  storage
    .persist()
    .then(then)
    .catch(() => undefined); // a closed store need not hear the answer
}

/**
 * Forwards the page's online/offline events to the worker's sync loop (Chromium fires none in
 * workers, and a loop with a live stream open would not look at navigator.onLine for up to a
 * minute). The loop is quiet from an offline event until the next online one, and while
 * navigator.onLine is false (sync/syncer.ts #online()). Returns the function that stops
 * forwarding.
 */
function forwardNetwork(api: EngineApi): () => void {
  const target = globalThis as {
    addEventListener?: (type: string, fn: () => void) => void;
    removeEventListener?: (type: string, fn: () => void) => void;
  };
  // A store that is closing or closed need not hear it.
  const online = () => void api.syncNetwork(true).catch(() => undefined);
  const offline = () => void api.syncNetwork(false).catch(() => undefined);
  target.addEventListener?.('online', online);
  target.addEventListener?.('offline', offline);
  return () => {
    target.removeEventListener?.('online', online);
    target.removeEventListener?.('offline', offline);
  };
}

/**
 * One Comlink proxy per worker, kept as long as the worker: a proxy that is garbage
 * collected sends a release that would make the worker stop listening for open().
 */
const factories = new WeakMap<Worker, Remote<WorkerApi>>();
function factoryOf(worker: Worker): Remote<WorkerApi> {
  return getOrSet(factories, worker, () => wrap<WorkerApi>(worker));
}

/**
 * The worker session's API, its errors rebuilt as typed errors. Each call looks its method up
 * on the proxy then, so a call after close() fails as Comlink's released proxy does.
 */
function remoteApi(remote: Remote<EngineApi>): EngineApi {
  return engineApiOf(<K extends keyof EngineApi>(name: K) => {
    // One closure per method, not through remoteCall(): a call crosses one function of ours less.
    const call = async (...args: unknown[]) => {
      try {
        return await (remote[name] as (...a: unknown[]) => Promise<unknown>)(...args);
      } catch (error) {
        throw fromWorker(error);
      }
    };
    return call as EngineApi[K];
  });
}

/** Rebuilds typed errors from the worker; data that cannot be posted is bad input. */
async function remoteCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw fromWorker(error);
  }
}

/** An error from the worker as the typed error it was (ErrorData revived by name). */
function fromWorker(error: unknown): unknown {
  if ((error as { name?: unknown } | null)?.name === 'DataCloneError') {
    return new InvalidEventError(
      `An argument cannot be sent to the store's worker (${(error as Error).message}): payload and meta must be plain JSON data`,
      { cause: error },
    );
  }
  return reviveError(error);
}
