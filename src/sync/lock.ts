/** The leader lock: one syncing store per database (Web Locks, else a lock within this JS realm). */

/** Runs `task` while holding the named lock (Web Locks, else within this realm). */
const localLocks = new Map<string, Promise<void>>();
export async function lead(name: string, signal: AbortSignal, task: () => Promise<void>): Promise<void> {
  const locks = (globalThis as { navigator?: { locks?: LockManager } }).navigator?.locks;
  if (locks) {
    await locks.request(name, { signal }, task);
    return;
  }
  const previous = localLocks.get(name) ?? Promise.resolve();
  let release!: () => void;
  const mine = new Promise<void>((resolve) => (release = resolve));
  const chain = previous.then(() => mine);
  localLocks.set(name, chain);
  try {
    await Promise.race([
      previous,
      new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true })),
    ]);
    if (signal.aborted) return;
    await task();
  } finally {
    release();
    // Forgotten only once every holder before us is done too: one that gave up waiting must
    // not let the next syncer lead beside the one still holding the lock.
    void chain.then(() => {
      if (localLocks.get(name) === chain) localLocks.delete(name);
    });
  }
}
