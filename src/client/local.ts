/**
 * In-process mode: the engine runs on the calling thread (Node, SSR, tests, browsers
 * without module workers). Loaded by createStore() only when no worker is given.
 */
import { ReadOnlyStoreError } from '../core/errors/index.ts';
import { validateInputs, type StoredEvent, type ValidInputs } from '../core/event.ts';
import { boundEngineApi, engineApiOf, readsOnly, type Change, type EngineApi, type Opened } from '../api/contract.ts';
import type { EngineConfig } from '../worker/config.ts';
import { Engine } from '../worker/engine.ts';
import { seedDatabase } from '../worker/seed.ts';
import { EngineSession } from '../worker/session.ts';
import type { Store } from '../api/store.ts';
import { Mirror } from './mirror.ts';
import { pageCopies } from './pageCopies.ts';
import { StoreImpl } from './store.ts';

/**
 * An in-process store over an engine opened with `config`; `seed`: the log of a new database,
 * written first (devtools openLogExport); `release` runs after the store closed.
 */
export async function openLocalStore(
  config: EngineConfig,
  extra: { seed?: readonly StoredEvent[]; release?: () => void } = {},
): Promise<Store> {
  const release = extra.release ?? (() => undefined);
  let mirror: Mirror | undefined;
  const early: Change[] = [];
  let local: Awaited<ReturnType<typeof openLocal>>;
  try {
    if (extra.seed) await seedDatabase(config, extra.seed);
    local = await openLocal(config, (change) => (mirror ? mirror.apply(change) : early.push(change)));
  } catch (error) {
    release(); // a store that did not open leaves nothing behind (a seeded database: deleted)
    throw error;
  }
  const { api, opened } = local;
  mirror = new Mirror(opened);
  for (const change of early) mirror.apply(change);
  return new StoreImpl(opened.clientId, api, mirror, release);
}

async function openLocal(config: EngineConfig, onChange: (change: Change) => void): Promise<{ api: EngineApi; opened: Opened }> {
  // The page's own copies of unfrozen states, as worker mode has (./pageCopies.ts). Changes
  // before opened() below are ones the page skips (their seq is in `opened`).
  const copies = pageCopies(Object.values(config.projections));
  const engine = await Engine.open(config, (change) => onChange(copies.change(change)));
  const session = new EngineSession(engine);
  const api = localApi(session);
  return { api: config.readOnly ? readOnlyApi(api) : api, opened: copies.opened(session.opened()) };
}

/** In-process: the engine keeps its own copy of appended data, as a worker would. */
function localApi(session: EngineSession): EngineApi {
  const api = boundEngineApi(session);
  return {
    ...api,
    append: (events, options) => {
      let input: ValidInputs;
      try {
        // Validate what the app passed (cloning would turn a class instance into a plain
        // object), then hand the engine its own copy, as postMessage does in worker mode.
        input = structuredClone(validateInputs(events, options?.expectedVersion));
      } catch (error) {
        return Promise.reject(error);
      }
      // The app gets its own copy of the stored events too: the engine keeps its objects
      // (undo() of a recent commit reads them from memory), as they stay in a worker.
      return session.appendValid(input).then((result) => ({ ...result, events: structuredClone(result.events) }));
    },
  };
}

/**
 * The API of a read-only store (devtools openLogExport): every method not a read (append,
 * undo, redo, revert, compact, and any write added later) rejects with ReadOnlyStoreError,
 * nothing written.
 */
function readOnlyApi(api: EngineApi): EngineApi {
  return engineApiOf(<K extends keyof EngineApi>(name: K): EngineApi[K] => {
    if (readsOnly(name)) return api[name];
    const refuse = () =>
      Promise.reject(
        new ReadOnlyStoreError(
          `${name}(): this store is read-only (opened from a log export); open a store of your own with createStore() to write`,
          {
            details: { call: `${name}()` },
          },
        ),
      );
    return refuse as unknown as EngineApi[K];
  });
}
