/**
 * The page the cross-engine tests drive (test/engines/engines.test.ts): the toolkit as an app
 * imports it, on `window.eventloom`, with a few helpers the tests' in-page functions share.
 */
import * as eventloom from 'eventloom';
import type { CreateStoreOptions, Store } from 'eventloom';
import { projections } from '../../support/fixtures.ts';

/** Stores opened in this page, by a test's own key. */
const stores = new Map<string, Store>();
/** Promises a run started and a later run collects (WebDriver classic runs one command at a time). */
const waits = new Map<string, Promise<unknown>>();
/** Uncaught errors and unhandled rejections of this page: a test ends with none. */
const errors: string[] = [];
addEventListener('error', (e) => void errors.push(`error: ${e.message}`));
addEventListener('unhandledrejection', (e) => void errors.push(`unhandled rejection: ${String((e.reason as Error)?.stack ?? e.reason)}`));

const api = {
  ...eventloom,
  projections,
  errors,
  /** A store in worker mode (the worker module as docs/worker.md has an app write it), kept under `key`. */
  async open(key: string, options: Omit<CreateStoreOptions, 'worker'>): Promise<Store> {
    const store = await eventloom.createStore({
      ...options,
      worker: new Worker(new URL('./store.worker.ts', import.meta.url), { type: 'module' }),
    });
    stores.set(key, store);
    return store;
  },
  store(key: string): Store {
    const store = stores.get(key);
    if (!store) throw new Error(`no store "${key}" in this page`);
    return store;
  },
  /** Starts waiting (up to `ms`) for store `key`'s todos to reach `length`; `collect()` gets the ids. */
  waitForTodos(key: string, length: number, ms = 30_000): void {
    const store = api.store(key);
    waits.set(
      key,
      new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`todos did not reach ${length} within ${ms} ms: ${JSON.stringify(store.status)}`)),
          ms,
        );
        const off = store.subscribe<{ id: string }[]>('todos', (list) => {
          if (list.length !== length) return;
          clearTimeout(timer);
          off();
          resolve(list.map((t) => t.id));
        });
      }),
    );
  },
  collect(key: string): Promise<unknown> | undefined {
    return waits.get(key);
  },
  async closeAll(): Promise<void> {
    for (const store of stores.values()) await store.close();
    stores.clear();
  },
};

declare global {
  interface Window {
    eventloom: typeof api;
  }
}

window.eventloom = api;
