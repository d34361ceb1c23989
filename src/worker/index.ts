/**
 * "eventloom/worker": the user's worker module is two lines,
 *   import { serveStore } from 'eventloom/worker';
 *   serveStore({ projections });
 * The worker owns the database; the main thread's createStore({ worker }) drives it.
 * Each createStore() on the worker gets its own session (engine) on its own MessagePort.
 */
import { expose, transfer, type Endpoint } from 'comlink';
import { toErrorData } from '../core/errors/index.ts';
import type { Projection } from '../core/projection.ts';
import { eventSchema, type Upcasters } from '../core/upcast.ts';
import { diffState } from '../core/diff.ts';
import { boundEngineApi, type Change, type ChangeMessage, type WorkerApi } from '../api/contract.ts';
import type { StorageLike } from '../api/store.ts';
import { Engine } from './engine.ts';
import { EngineSession } from './session.ts';

export interface ServeStoreOptions {
  projections: Record<string, Projection<any>>;
  /** Per event type, the functions that turn each older payload shape into the next (core/upcast.ts). */
  upcasters?: Upcasters;
  /** Injectable IndexedDB (defaults to the worker's own). */
  indexedDB?: IDBFactory;
  IDBKeyRange?: typeof IDBKeyRange;
  /** Whose estimate() and persisted() status.storage reports (e.g. a StorageBucket); default navigator.storage. */
  storage?: StorageLike;
  /** The sync transport's fetch (tests, fault injection); default the worker's fetch. */
  fetch?: typeof fetch;
  /** Gives the sync token, at start and after each 401 (renewal); createStore's sync.token is then not needed. */
  token?: () => string | Promise<string>;
  /** Where to listen; defaults to the worker's global scope. */
  endpoint?: Endpoint;
}

/**
 * The endpoints served in this worker, shared by every copy of this module through the global
 * scope. WebKit (Safari) evaluates a module worker's entry module a second time when a chunk it
 * loads later imports from it (seen in WebKitGTK 2.50, test/engines), so an app's
 * `serveStore()` line runs twice there; the second call must not serve the endpoint again, or
 * every `open` would start a second engine on the same database.
 */
const SERVED = Symbol.for('eventloom.serveStore.endpoints');

function firstServe(endpoint: object): boolean {
  const scope = globalThis as { [SERVED]?: WeakSet<object> };
  scope[SERVED] ??= new WeakSet();
  const served = scope[SERVED];
  if (served.has(endpoint)) return false;
  served.add(endpoint);
  return true;
}

export function serveStore(options: ServeStoreOptions): void {
  eventSchema(options.upcasters, 'serveStore'); // a configuration mistake fails here, at once
  if (!firstServe(options.endpoint ?? globalThis)) return;
  const api: WorkerApi = {
    async open(openOptions) {
      // Changes go out on their own port as plain messages: a Comlink callback would cost
      // a reply from the main thread for every change.
      const changes = new MessageChannel();
      // Each projection's state as the page last got it: changes go out as patches against it.
      const sent = new Map<string, unknown>();
      const post = (change: Change): void => {
        const patches: ChangeMessage['patches'] = [];
        for (const [name, state] of Object.entries(change.states)) {
          patches.push([name, diffState(sent.get(name), state)]);
          sent.set(name, state);
        }
        const message: ChangeMessage = { seq: change.seq, patches, status: change.status };
        changes.port1.postMessage(message);
      };
      const session = new EngineSession(
        await Engine.open(
          {
            ...openOptions,
            projections: options.projections,
            upcasters: options.upcasters,
            storage: options.storage,
            indexedDB: options.indexedDB,
            IDBKeyRange: options.IDBKeyRange,
            fetch: options.fetch,
            token: options.token,
          },
          post,
        ),
      );
      const { port1, port2 } = new MessageChannel();
      // The session's methods, and close() ending the changes port too; errors leave as ErrorData.
      const api = boundEngineApi(session);
      const close = api.close;
      api.close = () => close().finally(() => changes.port1.close());
      expose(withWireErrors(api), port1);
      // The page starts from these states; later changes are patches against them. (Changes
      // posted before, at or below opened.seq, the page skips.)
      const opened = session.opened();
      for (const [name, state] of Object.entries(opened.states)) sent.set(name, state);
      return transfer({ port: port2, changes: changes.port2, opened }, [port2, changes.port2]);
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
