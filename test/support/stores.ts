/** Test support: stores a test opens are closed after it, whether it passed or failed. */
import { afterEach } from 'vitest';
import { createStore, type CreateStoreOptions, type Store } from '../../src/index.ts';

export interface StoresPerTest {
  /** createStore(options); the store is closed after the test (closing it sooner is fine). */
  open(options: CreateStoreOptions): Promise<Store>;
  /**
   * Closes the stores opened so far, oldest first, each even if one before it fails (then
   * throws the first failure). After each test this runs on its own; call it from a hook that
   * must run after the stores are closed (stopping the server or the workers they use).
   */
  closeAll(): Promise<void>;
}

/** Registers an afterEach in the calling file (or describe) that closes the stores opened through it. */
export function storesPerTest(): StoresPerTest {
  const open: Store[] = [];
  const closeAll = async (): Promise<void> => {
    const failures: unknown[] = [];
    for (const store of open.splice(0)) await store.close().catch((error: unknown) => failures.push(error));
    if (failures.length > 0) throw failures[0];
  };
  afterEach(closeAll);
  return {
    async open(options) {
      const store = await createStore(options);
      open.push(store);
      return store;
    },
    closeAll,
  };
}
