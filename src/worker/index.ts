/**
 * "eventloom/worker": the user's worker module is two lines,
 *   import { serveStore } from 'eventloom/worker';
 *   serveStore({ projections });
 * The worker owns the database; the main thread's createStore({ worker }) drives it.
 * One store per worker: a second open() closes the first.
 */
import { expose, type Endpoint } from 'comlink';
import { toErrorData } from '../core/errors/index.ts';
import type { Projection } from '../core/projection.ts';
import type { Change, EngineApi, WorkerApi } from './contract.ts';
import { Engine } from './engine.ts';

export interface ServeStoreOptions {
  projections: Record<string, Projection<any>>;
  /** Injectable IndexedDB (defaults to the worker's own). */
  indexedDB?: IDBFactory;
  IDBKeyRange?: typeof IDBKeyRange;
  /** The sync transport's fetch (tests, fault injection); default the worker's fetch. */
  fetch?: typeof fetch;
  /** Where to listen; defaults to the worker's global scope. */
  endpoint?: Endpoint;
}

export function serveStore(options: ServeStoreOptions): void {
  let engine: Engine | undefined;
  const use = (): EngineApi => {
    if (!engine) throw new Error('serveStore: open() was not called; use createStore({ worker })');
    return engine;
  };
  const api: WorkerApi = {
    async open(openOptions, onChange) {
      await engine?.close();
      engine = undefined;
      engine = await Engine.open(
        {
          ...openOptions,
          projections: options.projections,
          indexedDB: options.indexedDB,
          IDBKeyRange: options.IDBKeyRange,
          fetch: options.fetch,
        },
        (change: Change) => {
          // A Comlink proxy: fire and forget; message order keeps changes before results.
          void Promise.resolve(onChange(change)).catch(() => undefined);
        },
      );
      return engine.opened();
    },
    append: (events, appendOptions) => use().append(events, appendOptions),
    undo: () => use().undo(),
    redo: () => use().redo(),
    revert: (commit) => use().revert(commit),
    flush: () => use().flush(),
    stateAt: (projection, at) => use().stateAt(projection, at),
    events: (query) => use().events(query),
    syncNow: () => use().syncNow(),
    syncPause: () => use().syncPause(),
    syncResume: () => use().syncResume(),
    syncRejected: () => use().syncRejected(),
    close: async () => {
      await engine?.close();
    },
  };
  expose(withWireErrors(api), options.endpoint);
}

/** Errors leave the worker as ErrorData, which keeps name, message and details. */
function withWireErrors<T extends object>(api: T): T {
  const wrapped: Record<string, unknown> = {};
  for (const [key, fn] of Object.entries(api)) {
    wrapped[key] = async (...args: unknown[]) => {
      try {
        return await (fn as (...a: unknown[]) => unknown)(...args);
      } catch (error) {
        throw toErrorData(error);
      }
    };
  }
  return wrapped as T;
}
