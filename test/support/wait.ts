/** Waiting on a store without sleeps: resolve on the first state or status that passes. */
import type { Store, StoreStatus } from '../../src/index.ts';

export function until<S>(store: Store, projection: string, accept: (state: S) => boolean): Promise<S> {
  return new Promise((resolve) => {
    if (accept(store.get<S>(projection))) return resolve(store.get<S>(projection));
    const off = store.subscribe<S>(projection, (state) => {
      if (accept(state)) {
        off();
        resolve(state);
      }
    });
  });
}

export function untilStatus(store: Store, accept: (status: StoreStatus) => boolean): Promise<StoreStatus> {
  return new Promise((resolve) => {
    if (accept(store.status)) return resolve(store.status);
    const off = store.onStatus((status) => {
      if (accept(status)) {
        off();
        resolve(status);
      }
    });
  });
}
