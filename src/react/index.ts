/**
 * "eventloom/react": React 18+ hooks over a Store, built on React's own useSyncExternalStore.
 * Explicit exports only; nothing runs at import, and only types come from the engine's
 * entry, so this module pulls in React and one small status comparison, nothing else (no
 * package of its own: an app without React installs none).
 *
 * Invariants:
 * 1. A snapshot is the store's current state: useProjection returns store.get(name), which
 *    keeps its reference until that projection changes, so a component re-renders only
 *    when its projection does. The server snapshot is the same current state (SSR and
 *    hydration with an in-process store see what get() sees).
 *    With a selector, the snapshot is select(state), kept (same reference) while
 *    isEqual(previous, next) holds: useSelection below memoises as React's
 *    useSyncExternalStoreWithSelector does (the use-sync-external-store package, not a
 *    dependency), so an inline selector (a new function each render) is fine. Worker mode
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
import { useCallback, useEffect, useMemo, useRef, useSyncExternalStore } from 'react';
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
  return useSelection<S, S | T>(subscribe, getSnapshot, select ?? identity, isEqual as ((a: S | T, b: S | T) => boolean) | undefined);
}

/**
 * select(getSnapshot()) through useSyncExternalStore, the previous selection kept while
 * isEqual(previous, next) holds: use-sync-external-store/with-selector's
 * useSyncExternalStoreWithSelector (React's own), written out over the built-in hook, with
 * the server snapshot the same as the client's. React reads a snapshot from getSelection,
 * which gives the same value for the same store snapshot, so React's own checks (a cached
 * snapshot, no tearing) hold as for any external store.
 */
function useSelection<S, T>(
  subscribe: (onChange: () => void) => () => void,
  getSnapshot: () => S,
  select: (state: S) => T,
  isEqual: ((a: T, b: T) => boolean) | undefined,
): T {
  // The selection last committed (set in an effect, so a render React throws away leaves it
  // as it was): a new getSelection (an inline selector is a new one each render) compares
  // with it first, so an equal selection keeps its reference across renders.
  const committed = useRef<{ selection: T } | undefined>(undefined);
  const getSelection = useMemo(() => {
    let memo: { snapshot: S; selection: T } | undefined;
    return (): T => {
      const snapshot = getSnapshot();
      if (memo !== undefined && Object.is(memo.snapshot, snapshot)) return memo.selection;
      const next = select(snapshot);
      const previous = memo ?? committed.current;
      const selection = previous !== undefined && isEqual?.(previous.selection, next) ? previous.selection : next;
      memo = { snapshot, selection };
      return selection;
    };
  }, [getSnapshot, select, isEqual]);
  const selection = useSyncExternalStore(subscribe, getSelection, getSelection);
  useEffect(() => {
    committed.current = { selection };
  }, [selection]);
  return selection;
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
