/**
 * "eventloom/react": React 18+ hooks over a Store, built on useSyncExternalStore. Explicit
 * exports only; nothing runs at import, and only types come from the engine's entry, so
 * this module pulls in React and one small status comparison, nothing else.
 *
 * Invariants:
 * 1. A snapshot is the store's current state: useProjection returns store.get(name), which
 *    keeps its reference until that projection changes, so a component re-renders only
 *    when its projection does. The server snapshot is the same current state (SSR and
 *    hydration with an in-process store see what get() sees).
 *    With a selector, the snapshot is select(state), kept (same reference) while
 *    isEqual(previous, next) holds: React's own useSyncExternalStoreWithSelector does the
 *    memoising, so an inline selector (a new function each render) is fine. Worker mode
 *    keeps the identity of every part of a state a change did not touch, so a selector
 *    that picks one entry re-renders its component only when that entry changes.
 * 2. store.status is a new object on each read, so useStoreStatus keeps the last snapshot
 *    and hands out a new one only when a field differs; otherwise useSyncExternalStore
 *    would see a change on every read and render forever.
 * 3. The subscribe and snapshot functions are memoised on [store, name], so switching
 *    either unsubscribes from the old source and subscribes to the new one, and an
 *    unmount unsubscribes.
 * 4. Errors are the store's, thrown at render for an error boundary: an unknown projection
 *    throws UnknownProjectionError, and useProjection on a closed store StoreClosedError.
 *    Unmount the components that use a store before closing it.
 */
import { useCallback, useMemo, useSyncExternalStore } from 'react';
import { useSyncExternalStoreWithSelector } from 'use-sync-external-store/with-selector';
import { sameStatus } from '../client/sameStatus.ts';
import type { Store, StoreStatus } from '../api/store.ts';

/**
 * The current state of projection `name`, or the part of it `select` picks; the component
 * re-renders when that changes (compared with `isEqual`, `Object.is` by default), and not
 * otherwise. Throws the store's UnknownProjectionError at render if the store has no such
 * projection.
 *
 * @example
 * const todo = useProjection(store, 'todos', (todos: Todo[]) => todos.find((t) => t.id === id));
 */
export function useProjection<S>(store: Store, name: string): S;
export function useProjection<S, T>(store: Store, name: string, select: (state: S) => T, isEqual?: (a: T, b: T) => boolean): T;
export function useProjection<S, T>(store: Store, name: string, select?: (state: S) => T, isEqual?: (a: T, b: T) => boolean): S | T {
  const subscribe = useCallback((onChange: () => void) => store.subscribe(name, onChange), [store, name]);
  const getSnapshot = useCallback(() => store.get<S>(name), [store, name]);
  return useSyncExternalStoreWithSelector<S, S | T>(
    subscribe,
    getSnapshot,
    getSnapshot,
    select ?? identity,
    isEqual as ((a: S | T, b: S | T) => boolean) | undefined,
  );
}

function identity<S>(state: S): S {
  return state;
}

/**
 * The store's status (head, pending, canUndo, canRedo, sync, ...); the component
 * re-renders when any field of it changes, and not otherwise.
 */
export function useStoreStatus(store: Store): StoreStatus {
  const subscribe = useCallback((onChange: () => void) => store.onStatus(onChange), [store]);
  const getSnapshot = useMemo(() => {
    let last: StoreStatus | undefined;
    // Compares on every read rather than only in the listener: a change between the
    // render and the subscription is still seen when React reads the snapshot again.
    return (): StoreStatus => {
      const next = store.status;
      if (last === undefined || !sameStatus(last, next)) last = next;
      return last;
    };
  }, [store]);
  return useSyncExternalStore(subscribe, getSnapshot, getSnapshot);
}
