/**
 * "eventloom/worker": the user's worker module is two lines,
 *   import { serveStore } from 'eventloom/worker';
 *   serveStore({ projections });
 * The worker owns the database; the main thread's createStore({ worker }) drives it.
 * Each createStore() on the worker gets its own session (engine) on its own MessagePort.
 */
import { expose, releaseProxy, transfer, type Endpoint, type Remote } from 'comlink';
import { toErrorData } from '../core/errors/index.ts';
import type { Projection } from '../core/projection.ts';
import type { Change, EngineApi, WorkerApi } from './contract.ts';
import { Engine, engineApi } from './engine.ts';

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
  const api: WorkerApi = {
    async open(openOptions, onChange) {
      const engine = await Engine.open(
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
      const { port1, port2 } = new MessageChannel();
      const api = engineApi(engine);
      const session: EngineApi = {
        ...api,
        close: async () => {
          await api.close();
          (onChange as Partial<Remote<unknown>>)[releaseProxy]?.();
        },
      };
      expose(withWireErrors(session), port1);
      return transfer({ port: port2, opened: engine.opened() }, [port2]);
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
