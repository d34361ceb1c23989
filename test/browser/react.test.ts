// eventloom/react in real Chromium: components rendered with react-dom, stores in-process and
// in a worker. No JSX (React.createElement), so no compiler setting is needed; act() from
// React flushes renders, and every wait is on a store promise, never on a timer.
import { afterEach, beforeEach, describe, expect, inject, it, vi } from 'vitest';
import { act, Component, createElement, memo, StrictMode, type ReactNode } from 'react';
import { createRoot, hydrateRoot, type Root } from 'react-dom/client';
import { renderToString } from 'react-dom/server';
import { isStoreClosedError, isUnknownProjectionError, type CreateStoreOptions, type Store, type StoreStatus } from 'eventloom';
import { useProjection, useStoreStatus } from 'eventloom/react';
import { catalog, dbName, projections, steadyStorage, type Catalog, type Item, type Todo } from '../support/fixtures.ts';
import { storesPerTest } from '../support/stores.ts';
import { until, untilStatus } from '../support/wait.ts';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const roots: { root: Root; container: HTMLElement }[] = [];
const stores = storesPerTest();
const workers: Worker[] = [];
let consoleError: ReturnType<typeof vi.spyOn>;

beforeEach(() => {
  // React reports an uncached getSnapshot, an update outside act() and a render loop here.
  consoleError = vi.spyOn(console, 'error');
});

afterEach(async () => {
  // Components first: a mounted component would read a closed store.
  for (const { root, container } of roots.splice(0)) {
    act(() => root.unmount());
    container.remove();
  }
  await stores.closeAll(); // while their workers still answer
  for (const w of workers.splice(0)) w.terminate();
  expect(consoleError).not.toHaveBeenCalled();
  consoleError.mockRestore();
});

/**
 * status.storage is read after writes, in the background (worker/storageStatus.ts): these
 * stores report a steady one (see react.worker.ts), so render counts are the changes the
 * tests make, and each store's first reading has come before anything renders.
 */
async function ready(store: Store): Promise<Store> {
  await untilStatus(store, (s) => s.storage !== undefined);
  return store;
}

function openLocal(options: Partial<CreateStoreOptions> = {}): Promise<Store> {
  return stores.open({ name: dbName('react'), projections, storage: steadyStorage, persist: false, ...options }).then(ready);
}

async function openWorker(name = dbName('react')): Promise<Store> {
  const worker = new Worker(new URL('./react.worker.ts', import.meta.url), { type: 'module' });
  workers.push(worker);
  return ready(await stores.open({ name, worker, persist: false }));
}

function mount(element: ReactNode, options?: Parameters<typeof createRoot>[1]): { root: Root; container: HTMLElement } {
  const container = document.createElement('div');
  document.body.append(container);
  const root = createRoot(container, options);
  roots.push({ root, container });
  act(() => root.render(element));
  return { root, container };
}

/** Counts the live subscriptions a store has handed out (subscribe and onStatus). */
function countSubscriptions(store: Store): { projections: Map<string, number>; status: { n: number } } {
  const live = { projections: new Map<string, number>(), status: { n: 0 } };
  const subscribe = store.subscribe.bind(store);
  const onStatus = store.onStatus.bind(store);
  store.subscribe = <S>(name: string, listener: (state: S) => void): (() => void) => {
    const off = subscribe(name, listener);
    live.projections.set(name, (live.projections.get(name) ?? 0) + 1);
    let done = false;
    return () => {
      if (!done) live.projections.set(name, (live.projections.get(name) ?? 0) - 1);
      done = true;
      off();
    };
  };
  store.onStatus = (listener: (status: StoreStatus) => void): (() => void) => {
    const off = onStatus(listener);
    live.status.n++;
    let done = false;
    return () => {
      if (!done) live.status.n--;
      done = true;
      off();
    };
  };
  return live;
}

function TodoList(props: { store: Store; seen?: Todo[][] }): ReactNode {
  const todos = useProjection<Todo[]>(props.store, 'todos');
  props.seen?.push(todos);
  return createElement('ul', null, ...todos.map((t) => createElement('li', { key: t.id }, t.title)));
}

function Projection(props: { store: Store; name: string; renders?: string[] }): ReactNode {
  const state = useProjection<unknown>(props.store, props.name);
  props.renders?.push(props.name);
  return createElement('pre', null, JSON.stringify(state));
}

/** A memoised row: renders again only when its item is another object. */
const Row = memo(function Row(props: { item: Item; renders: string[] }): ReactNode {
  props.renders.push(props.item.id);
  return createElement('li', null, `${props.item.title} × ${props.item.qty}`);
});

/** Every item of the catalog's group "main", one memoised row each. */
function Rows(props: { store: Store; renders: string[] }): ReactNode {
  const main = useProjection<Catalog, Record<string, Item> | undefined>(props.store, 'catalog', (c) => c.groups['main']);
  return createElement(
    'ul',
    null,
    ...Object.values(main ?? {}).map((item) => createElement(Row, { key: item.id, item, renders: props.renders })),
  );
}

/** One item's quantity, picked by a selector written inline (a new function each render). */
function Quantity(props: { store: Store; id: string; seen: (number | undefined)[] }): ReactNode {
  const qty = useProjection(props.store, 'catalog', (c: Catalog) => c.groups['main']?.[props.id]?.qty);
  props.seen.push(qty);
  return createElement('b', null, String(qty));
}

/** The ids of the catalog's group "main": a new array on each read, kept while equal. */
function Ids(props: { store: Store; seen: string[][]; tick?: number }): ReactNode {
  const ids = useProjection(props.store, 'catalog', (c: Catalog) => Object.keys(c.groups['main'] ?? {}), sameList);
  props.seen.push(ids);
  return createElement('i', null, ids.join(','));
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function Status(props: { store: Store; seen: StoreStatus[]; tick?: number }): ReactNode {
  const status = useStoreStatus(props.store);
  props.seen.push(status);
  return createElement(
    'p',
    null,
    `head ${status.head}, pending ${status.pending}, undo ${status.canUndo}, redo ${status.canRedo}, sync ${status.sync}`,
  );
}

class Boundary extends Component<{ children: ReactNode }, { error: unknown }> {
  override state: { error: unknown } = { error: undefined };
  static getDerivedStateFromError(error: unknown): { error: unknown } {
    return { error };
  }
  override render(): ReactNode {
    if (this.state.error === undefined) return this.props.children;
    return createElement('p', null, `failed: ${(this.state.error as Error).name}`);
  }
}

describe('useProjection', () => {
  it('renders the current state and re-renders after append, undo and redo (in-process store)', async () => {
    const store = await openLocal();
    await store.append({ type: 'added', payload: { id: 'a', title: 'Before mount' } });
    const seen: Todo[][] = [];
    const { container } = mount(createElement(TodoList, { store, seen }));
    expect(container.textContent).toBe('Before mount');
    expect(seen.at(-1)).toBe(store.get('todos'));

    await act(() => store.append({ type: 'added', payload: { id: 'b', title: 'Milk' } }));
    expect(container.textContent).toBe('Before mountMilk');
    expect(seen.at(-1)).toBe(store.get('todos'));

    await act(() => store.undo());
    expect(container.textContent).toBe('Before mount');
    await act(() => store.redo());
    expect(container.textContent).toBe('Before mountMilk');
    expect(seen).toHaveLength(4);
  });

  it('renders the current state and re-renders after append and undo (worker store)', async () => {
    const store = await openWorker();
    const seen: Todo[][] = [];
    const { container } = mount(createElement(TodoList, { store, seen }));
    expect(container.textContent).toBe('');

    await act(() => store.append({ type: 'added', payload: { id: 'a', title: 'Milk' } }));
    expect(container.textContent).toBe('Milk');
    await act(() =>
      store.append([
        { type: 'added', payload: { id: 'b', title: 'Eggs' } },
        { type: 'added', payload: { id: 'c', title: 'Tea' } },
      ]),
    );
    expect(container.textContent).toBe('MilkEggsTea');
    await act(() => store.undo());
    expect(container.textContent).toBe('Milk');
    expect(seen.map((s) => s.length)).toEqual([0, 1, 3, 1]);
  });

  it("re-renders on a change another store made to the same database (another tab's append)", async () => {
    const name = dbName('react');
    const mine = await openWorker(name);
    const other = await openWorker(name);
    const { container } = mount(createElement(TodoList, { store: mine }));

    await act(async () => {
      await other.append({ type: 'added', payload: { id: 'x', title: 'From the other tab' } });
      await until<Todo[]>(mine, 'todos', (s) => s.length === 1);
    });
    expect(container.textContent).toBe('From the other tab');
  });

  it('re-renders only the components whose projection changed', async () => {
    const store = await openLocal();
    const renders: string[] = [];
    const { container } = mount(
      createElement(
        'div',
        null,
        createElement(Projection, { store, name: 'todos', renders }),
        createElement(Projection, { store, name: 'counter', renders }),
      ),
    );
    expect(renders).toEqual(['todos', 'counter']);

    // "noted" leaves todos as it was (same reference), so only the counter re-renders.
    await act(() => store.append({ type: 'noted', payload: { n: 5 } }));
    expect(renders).toEqual(['todos', 'counter', 'counter']);
    expect(container.textContent).toContain('"count":1,"sum":5');

    await act(() => store.append({ type: 'added', payload: { id: 'a', title: 'A' } }));
    expect(renders.slice(3).sort()).toEqual(['counter', 'todos']);
    expect(container.textContent).toContain('"title":"A"');
    expect(container.textContent).toContain('"count":2');
  });

  it('unsubscribes on unmount: later appends render nothing and leave no listener behind', async () => {
    const store = await openLocal();
    const live = countSubscriptions(store);
    const renders: string[] = [];
    const { root } = mount(createElement(StrictMode, null, createElement(Projection, { store, name: 'todos', renders })));
    // StrictMode subscribes, unsubscribes and subscribes again: one stays.
    expect(live.projections.get('todos')).toBe(1);

    act(() => root.unmount());
    expect(live.projections.get('todos')).toBe(0);
    const before = renders.length;
    await act(() => store.append({ type: 'added', payload: { id: 'a', title: 'A' } }));
    expect(renders).toHaveLength(before);
  });

  it('re-subscribes when the projection name changes', async () => {
    const store = await openLocal();
    const live = countSubscriptions(store);
    const { root, container } = mount(createElement(Projection, { store, name: 'todos' }));
    expect(container.textContent).toBe('[]');

    act(() => root.render(createElement(Projection, { store, name: 'counter' })));
    expect(container.textContent).toBe('{"count":0,"sum":0,"log":[]}');
    expect(live.projections.get('todos')).toBe(0);
    expect(live.projections.get('counter')).toBe(1);

    await act(() => store.append({ type: 'noted', payload: { n: 2 } }));
    expect(JSON.parse(container.textContent ?? '')).toMatchObject({ count: 1, sum: 2 });
  });

  it('re-subscribes when the store changes', async () => {
    const first = await openLocal();
    const second = await openLocal();
    await second.append({ type: 'added', payload: { id: 's', title: 'Second' } });
    const live = countSubscriptions(first);
    const { root, container } = mount(createElement(TodoList, { store: first }));
    expect(container.textContent).toBe('');

    act(() => root.render(createElement(TodoList, { store: second })));
    expect(container.textContent).toBe('Second');
    expect(live.projections.get('todos')).toBe(0);

    await act(() => first.append({ type: 'added', payload: { id: 'f', title: 'First' } }));
    expect(container.textContent).toBe('Second');
    await act(() => second.append({ type: 'added', payload: { id: 't', title: 'Third' } }));
    expect(container.textContent).toBe('SecondThird');
  });

  it('renders the same current state on the server and hydrates without a mismatch', async () => {
    const store = await openLocal();
    await store.append({ type: 'added', payload: { id: 'a', title: 'Server' } });
    const html = renderToString(createElement(TodoList, { store }));
    expect(html).toBe('<ul><li>Server</li></ul>');

    const container = document.createElement('div');
    container.innerHTML = html;
    document.body.append(container);
    const mismatches: unknown[] = [];
    act(() => {
      const root = hydrateRoot(container, createElement(TodoList, { store }), {
        onRecoverableError: (error) => void mismatches.push(error),
      });
      roots.push({ root, container });
    });
    await act(() => store.append({ type: 'added', payload: { id: 'b', title: 'Client' } }));
    expect(container.textContent).toBe('ServerClient');
    expect(mismatches).toEqual([]);
  });

  it('throws UnknownProjectionError at render, for an error boundary', async () => {
    const store = await openLocal();
    const caught: unknown[] = [];
    const { container } = mount(createElement(Boundary, null, createElement(Projection, { store, name: 'nope' })), {
      onCaughtError: (error) => void caught.push(error),
    });
    expect(container.textContent).toBe('failed: UnknownProjectionError');
    expect(caught).toHaveLength(1);
    expect(isUnknownProjectionError(caught[0])).toBe(true);
    expect((caught[0] as { details: unknown }).details).toEqual({ projection: 'nope' });
  });

  it('throws StoreClosedError when a mounted component renders after its store closed', async () => {
    const store = await openLocal();
    const caught: unknown[] = [];
    const { root, container } = mount(createElement(Boundary, null, createElement(TodoList, { store })), {
      onCaughtError: (error) => void caught.push(error),
    });
    await store.close();
    act(() => root.render(createElement(Boundary, null, createElement(TodoList, { store }))));
    expect(container.textContent).toBe('failed: StoreClosedError');
    expect(caught.map(isStoreClosedError)).toEqual([true]);
  });
});

describe('useProjection with a selector', () => {
  it('worker mode: changing one of 1,000 memoised rows re-renders that row alone', async () => {
    const name = dbName('react');
    const store = await openWorker(name);
    const items = Array.from({ length: 1000 }, (_, i) => ({ type: 'item.set', payload: { id: `i${i}`, title: `Item ${i}`, qty: 1 } }));
    await store.append(items);
    const renders: string[] = [];
    const { container } = mount(createElement(Rows, { store, renders }));
    expect(container.querySelectorAll('li')).toHaveLength(1000);
    expect(renders).toHaveLength(1000);

    renders.length = 0;
    await act(() => store.append({ type: 'item.set', payload: { id: 'i500', title: 'Item 500', qty: 7 } }));
    expect(renders).toEqual(['i500']);
    expect(container.querySelectorAll('li')[500]?.textContent).toBe('Item 500 × 7');

    // Undo, a new item, and another tab's change: each renders the rows it touched.
    renders.length = 0;
    await act(() => store.undo());
    expect(renders).toEqual(['i500']);
    expect(container.querySelectorAll('li')[500]?.textContent).toBe('Item 500 × 1');
    renders.length = 0;
    await act(() => store.append({ type: 'item.set', payload: { id: 'new', title: 'New', qty: 2 } }));
    expect(renders).toEqual(['new']);
    expect(container.querySelectorAll('li')).toHaveLength(1001);
    const other = await openWorker(name);
    renders.length = 0;
    await act(async () => {
      await other.append({ type: 'item.set', payload: { id: 'i10', title: 'From the other tab', qty: 3 } });
      await until<Catalog>(store, 'catalog', (c) => c.groups['main']?.['i10']?.qty === 3);
    });
    expect(renders).toEqual(['i10']);
    expect(container.querySelectorAll('li')[10]?.textContent).toBe('From the other tab × 3');
  });

  it('re-renders only when the selected part changes, in both modes', async () => {
    for (const store of [await openLocal({ projections: { ...projections, catalog } }), await openWorker()]) {
      await store.append([
        { type: 'item.set', payload: { id: 'a', title: 'A', qty: 1 } },
        { type: 'item.set', payload: { id: 'b', title: 'B', qty: 1 } },
      ]);
      const quantities: (number | undefined)[] = [];
      const lists: string[][] = [];
      const { container } = mount(
        createElement(
          'div',
          null,
          createElement(Quantity, { store, id: 'a', seen: quantities }),
          createElement(Ids, { store, seen: lists }),
        ),
      );
      expect(container.textContent).toBe('1a,b');

      // b changes: neither a's quantity nor the list of ids did.
      await act(() => store.append({ type: 'item.set', payload: { id: 'b', title: 'B', qty: 9 } }));
      expect(quantities).toEqual([1]);
      expect(lists).toEqual([['a', 'b']]);

      // a changes: its quantity re-renders; the ids, equal under sameList, do not.
      await act(() => store.append({ type: 'item.set', payload: { id: 'a', title: 'A', qty: 4 } }));
      expect(quantities).toEqual([1, 4]);
      expect(lists).toHaveLength(1);

      // A new item: the ids re-render, a's quantity does not.
      await act(() => store.append({ type: 'item.set', payload: { id: 'c', title: 'C', qty: 1 } }));
      expect(quantities).toEqual([1, 4]);
      expect(lists.at(-1)).toEqual(['a', 'b', 'c']);
      expect(container.textContent).toBe('4a,b,c');
    }
  });

  it('keeps the previous selection (same reference) while isEqual holds, when an inline selector is new', async () => {
    const store = await openLocal({ projections: { ...projections, catalog } });
    await store.append({ type: 'item.set', payload: { id: 'a', title: 'A', qty: 1 } });
    const lists: string[][] = [];
    const { root } = mount(createElement(Ids, { store, seen: lists }));
    // A render for another reason: the new selector reads a new, equal array; the old one is kept.
    act(() => root.render(createElement(Ids, { store, seen: lists, tick: 1 })));
    expect(lists).toHaveLength(2);
    expect(lists[1]).toBe(lists[0]);
    // The state changes and the component renders again (a new selector), the ids do not change.
    await act(async () => {
      await store.append({ type: 'item.set', payload: { id: 'a', title: 'A', qty: 2 } });
      root.render(createElement(Ids, { store, seen: lists, tick: 2 }));
    });
    expect(lists).toHaveLength(3);
    expect(lists[2]).toBe(lists[0]);
    await act(() => store.append({ type: 'item.set', payload: { id: 'b', title: 'B', qty: 1 } }));
    expect(lists.at(-1)).toEqual(['a', 'b']);
  });
});

describe('useStoreStatus', () => {
  it.each([
    ['in-process', () => openLocal()],
    ['worker', () => openWorker()],
  ])('shows head, pending and canUndo, and re-renders once per change (%s store)', async (_, open) => {
    const store = await open();
    const seen: StoreStatus[] = [];
    const { container } = mount(createElement(Status, { store, seen }));
    expect(container.textContent).toBe('head 0, pending 0, undo false, redo false, sync off');

    await act(() => store.append({ type: 'added', payload: { id: 'a', title: 'A' } }));
    expect(container.textContent).toBe('head 1, pending 0, undo true, redo false, sync off');
    await act(() => store.undo());
    expect(container.textContent).toBe('head 2, pending 0, undo false, redo true, sync off');
    expect(seen.map((s) => s.head)).toEqual([0, 1, 2]);
    expect(seen.at(-1)).toEqual(store.status);
  });

  it('keeps the same status object while nothing changed', async () => {
    const store = await openLocal();
    const seen: StoreStatus[] = [];
    const { root } = mount(createElement(Status, { store, seen, tick: 0 }));
    // A re-render for another reason reads the status again: same snapshot, no extra render.
    act(() => root.render(createElement(Status, { store, seen, tick: 1 })));
    expect(seen).toHaveLength(2);
    expect(seen[1]).toBe(seen[0]);

    // A call that changes nothing (undo with nothing to undo) renders nothing.
    await act(async () => expect(await store.undo()).toBe(false));
    expect(seen).toHaveLength(2);

    await act(() => store.append({ type: 'noted' }));
    expect(seen).toHaveLength(3);
    expect(seen[2]).not.toBe(seen[1]);
    expect(seen[2]?.head).toBe(1);
  });

  it('shows pending events and the sync state as they change (store with sync)', async () => {
    const store = await openLocal({ sync: { url: inject('syncUrl'), logId: dbName('react-log') } });
    const container = document.createElement('div');
    document.body.append(container);
    const root = createRoot(container);
    roots.push({ root, container });
    const seen: StoreStatus[] = [];
    // Sync works in the background: every wait on it is inside act(), so each status it
    // sets renders there, and the component is unmounted before anything else can run.
    await act(async () => {
      root.render(createElement(Status, { store, seen }));
      await untilStatus(store, (s) => s.sync === 'idle');
    });
    expect(container.textContent).toBe('head 0, pending 0, undo false, redo false, sync idle');

    await act(async () => {
      store.sync.pause();
      await untilStatus(store, (s) => s.sync === 'paused');
      await store.append({ type: 'added', payload: { id: 'a', title: 'A' } });
    });
    expect(container.textContent).toBe('head 1, pending 1, undo true, redo false, sync paused');

    await act(async () => {
      store.sync.resume();
      await store.sync.now();
      await untilStatus(store, (s) => s.pending === 0 && s.sync === 'idle');
    });
    expect(container.textContent).toBe('head 1, pending 0, undo true, redo false, sync idle');
    act(() => root.unmount());
  });

  it('unsubscribes from status on unmount and when the store changes', async () => {
    const first = await openLocal();
    const second = await openLocal();
    const live = countSubscriptions(first);
    const seen: StoreStatus[] = [];
    const { root } = mount(createElement(StrictMode, null, createElement(Status, { store: first, seen })));
    expect(live.status.n).toBe(1);

    act(() => root.render(createElement(StrictMode, null, createElement(Status, { store: second, seen }))));
    expect(live.status.n).toBe(0);
    const before = seen.length;
    await act(() => first.append({ type: 'noted' }));
    expect(seen).toHaveLength(before);

    act(() => root.unmount());
    await act(() => second.append({ type: 'noted' }));
    expect(seen).toHaveLength(before);
  });
});
