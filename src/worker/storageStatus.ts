/**
 * `status.storage`: how much of its quota the origin (or the injected Storage Bucket) uses,
 * and whether its data is persistent (not evicted under storage pressure).
 *
 * Invariants:
 * 1. Read from `navigator.storage` (or the injected StorageManager-like object) at open and
 *    at most once a second after writes; never awaited by a call, so it costs appends and
 *    start-up nothing. Where there is no StorageManager (Node), status has no `storage`.
 * 2. `persist()` is asked once per open where the realm has it (a window, or a Storage
 *    Bucket in a worker). A worker's navigator.storage has no persist(): in worker mode the
 *    main thread asks (client/createStore.ts) and then calls refreshStorage().
 * 3. A failed read (a browser that throws on estimate()) leaves the last known figures.
 */

import type { StorageInfo, StorageLike } from '../api/store.ts';

const REFRESH_AFTER_WRITES_MS = 1000;

export class StorageStatus {
  info: StorageInfo | undefined;
  readonly #storage: StorageLike | undefined;
  readonly #onChange: () => void;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;
  /** Readings overlap (open, persist's answer, after writes): only the latest asked counts. */
  #asked = 0;

  constructor(storage: StorageLike | undefined, onChange: () => void) {
    this.#storage = storage ?? defaultStorage();
    this.#onChange = onChange;
  }

  /** At open: asks for persistence if wanted and possible here, then reads the figures. */
  start(persist: boolean): void {
    const storage = this.#storage;
    if (!storage) return;
    void this.refresh();
    // Firefox may ask the user: the answer, whenever it comes, shows in a second read.
    if (persist && typeof storage.persist === 'function')
      storage.persist().then(
        () => this.refresh(),
        () => undefined,
      );
  }

  /** After writes: one read within REFRESH_AFTER_WRITES_MS, however many writes there are. */
  soon(): void {
    if (!this.#storage || this.#timer !== undefined || this.#closed) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.refresh();
    }, REFRESH_AFTER_WRITES_MS);
  }

  async refresh(): Promise<void> {
    const storage = this.#storage;
    if (!storage || this.#closed) return;
    const asked = ++this.#asked;
    let next: StorageInfo;
    try {
      const [estimate, persisted] = await Promise.all([
        storage.estimate(),
        typeof storage.persisted === 'function' ? storage.persisted() : Promise.resolve(false),
      ]);
      next = { usage: estimate.usage ?? 0, quota: estimate.quota ?? 0, persisted };
    } catch {
      return; // invariant 3
    }
    const last = this.info;
    if (
      this.#closed ||
      asked !== this.#asked ||
      (last && last.usage === next.usage && last.quota === next.quota && last.persisted === next.persisted)
    )
      return;
    this.info = next;
    this.#onChange();
  }

  close(): void {
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

function defaultStorage(): StorageLike | undefined {
  const storage = (globalThis as { navigator?: { storage?: StorageLike } }).navigator?.storage;
  return storage && typeof storage.estimate === 'function' ? storage : undefined;
}
