/**
 * The inspector (eventloom/devtools) in real Chromium, on a worker-mode store with a log of
 * 100k events: only the visible rows are in the DOM, scrolling reads pages (not the log),
 * filters, an event's state and what it changed, travel, revert, and unmount.
 */
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { createStore, type Store } from 'eventloom';
import { exportLog, mountInspector, openLogExport } from 'eventloom/devtools';
import { dbName, todos, type Todo } from '../support/fixtures.ts';
import { untilDom } from '../support/dom.ts';
import { untilStatus } from '../support/wait.ts';

const unmounts: (() => void)[] = [];

afterEach(async () => {
  for (const unmount of unmounts.splice(0)) unmount();
  document.body.replaceChildren();
});

const EVENTS = 100_000;
let store: Store;

/** Records the store's events() calls until the test ends (the inspector reads only through the Store API). */
function recordReads(target: Store): { query: unknown; got: number }[] {
  const reads: { query: unknown; got: number }[] = [];
  const original = target.events;
  target.events = async (query) => {
    const got = await original.call(target, query);
    reads.push({ query, got: got.length });
    return got;
  };
  unmounts.push(() => {
    target.events = original;
  });
  return reads;
}

function mount(target: Store, options?: { projection?: string }) {
  const element = document.createElement('div');
  element.style.height = '600px';
  document.body.append(element);
  const unmount = mountInspector(target, element, options);
  unmounts.push(unmount);
  const root = element.querySelector('.eventloom-inspector')!.shadowRoot!;
  return { element, root, unmount, list: root.querySelector<HTMLElement>('[role=listbox]')! };
}

/** The rows in the DOM, as their position cells, once none is loading. */
function rows(root: ShadowRoot): string[] | undefined {
  const all = [...root.querySelectorAll<HTMLElement>('.row')];
  if (all.length === 0 || all.some((r) => r.classList.contains('loading'))) return undefined;
  return all.map((r) => r.querySelector('.pos')!.textContent!);
}

let worker: Worker;

// One store for the file: its 100k-event log takes a while to build.
beforeAll(async () => {
  worker = new Worker(new URL('./inspector.worker.ts', import.meta.url), { type: 'module' });
  store = await createStore({ name: dbName('inspector'), worker });
  for (let i = 0; i < EVENTS - 4; i += 1000) {
    const n = Math.min(1000, EVENTS - 4 - i);
    await store.append(Array.from({ length: n }, (_, j) => ({ type: 'ping', payload: { n: i + j } })));
  }
  await store.append({ type: 'added', payload: { id: 'a', title: 'Buy milk' } });
  await store.append({ type: 'added', payload: { id: 'b', title: 'Walk dog' } });
  await store.append({ type: 'toggled', payload: { id: 'a' }, stream: 'chores' });
  await store.append({ type: 'added', payload: { id: 'c', title: 'Call mum' } });
}, 120_000);

afterAll(async () => {
  await store.close();
  worker.terminate();
});

describe('the inspector on a 100k-event log', () => {
  it('shows the newest events first with only the visible rows in the DOM', async () => {
    const { root } = mount(store);
    const shown = await untilDom(root, () => rows(root));
    expect(shown[0]).toBe(String(EVENTS));
    expect(shown[1]).toBe(String(EVENTS - 1));
    expect(root.querySelectorAll('*').length).toBeLessThan(2000);
  });

  it('scrolling to the oldest event reads the pages it shows, not the whole log', async () => {
    const reads = recordReads(store);
    const { root, list } = mount(store);
    await untilDom(root, () => rows(root));
    list.scrollTop = list.scrollHeight;
    const shown = await untilDom(root, () => {
      const r = rows(root);
      return r?.includes('1') ? r : undefined;
    });
    expect(shown[shown.length - 1]).toBe('1');
    const pageReads = reads.filter((r) => (r.query as { after?: number }).after !== undefined);
    expect(pageReads.reduce((n, r) => n + r.got, 0)).toBeLessThan(2_000);
    expect(root.querySelectorAll('*').length).toBeLessThan(2000);
  });

  it('filters by type and by text in the payload', async () => {
    const { root } = mount(store);
    await untilDom(root, () => rows(root));
    const type = root.querySelector<HTMLInputElement>('input[name=type]')!;
    type.value = 'added';
    type.dispatchEvent(new Event('input'));
    const added = await untilDom(root, () => {
      const r = rows(root);
      return r && r.length === 3 ? r : undefined;
    });
    expect(added).toEqual([String(EVENTS), String(EVENTS - 2), String(EVENTS - 3)]);
    const text = root.querySelector<HTMLInputElement>('input[name=text]')!;
    text.value = 'walk';
    text.dispatchEvent(new Event('input'));
    expect(await untilDom(root, () => (rows(root)?.length === 1 ? rows(root) : undefined))).toEqual([String(EVENTS - 2)]);
  });

  it('shows an event’s state as stateAt() gives it, and names the path it changed', async () => {
    const { root, list } = mount(store);
    await untilDom(root, () => rows(root));
    list.querySelector<HTMLElement>('[data-index="0"]')!.click(); // 'added' c, the newest
    const changed = await untilDom(root, () => root.querySelector<HTMLElement>('.changes li[data-path]'));
    expect(changed.dataset['path']).toBe('2');
    expect(changed.className).toBe('added');
    const state = JSON.parse(root.querySelector('.state pre')!.textContent!) as Todo[];
    expect(state).toEqual(await store.stateAt<Todo[]>('todos', { position: EVENTS }));
    // The toggle, one back: a changed leaf.
    list.querySelector<HTMLElement>('[data-index="1"]')!.click();
    const toggled = await untilDom(root, () => root.querySelector<HTMLElement>('.changes li[data-path="0.done"]'));
    expect(toggled.className).toBe('changed');
  });

  it('travels to a position and back to now', async () => {
    const { root, list } = mount(store);
    await untilDom(root, () => rows(root));
    list.querySelector<HTMLElement>('[data-index="2"]')!.click();
    (await untilDom(root, () => root.querySelector<HTMLButtonElement>('[data-action=travel]'))).click();
    const first = await untilDom(root, () => rows(root)?.[0]);
    expect(first).toBe(String(EVENTS - 2));
    expect(root.querySelector('.travel')!.textContent).toContain(`position ${EVENTS - 2}`);
    (await untilDom(root, () => root.querySelector<HTMLButtonElement>('[data-action=travel]'))).click();
    expect(await untilDom(root, () => (rows(root)?.[0] === String(EVENTS) ? 'now' : undefined))).toBe('now');
    expect(root.querySelector('.travel')!.textContent).toBe('');
  });

  it('jumps to a position typed in, and shows this client’s next undo', async () => {
    const { root } = mount(store);
    await untilDom(root, () => rows(root));
    const go = root.querySelector<HTMLInputElement>('input[name=position]')!;
    go.value = '12345';
    go.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter' }));
    const selected = await untilDom(root, () => {
      const row = root.querySelector<HTMLElement>('.row[aria-selected=true]:not(.loading)');
      return row?.querySelector('.pos')?.textContent === '12345' ? row : undefined;
    });
    expect(selected.querySelector('.type')!.textContent).toBe('ping');
    expect(root.querySelector('.detail h2')!.textContent).toBe('ping · position 12345');
    expect(go.getAttribute('aria-invalid')).toBe('false');
    const next = await untilDom(
      root,
      () => [...root.querySelectorAll('.summary dt')].find((dt) => dt.textContent === 'undo next')?.nextElementSibling,
    );
    expect(next!.textContent).toMatch(new RegExp(`^added at ${EVENTS} `));
  });

  it('reverts a commit from its row, after a confirmation, and marks it undone', async () => {
    const { root, list } = mount(store);
    await untilDom(root, () => rows(root));
    const head = store.status.head;
    list.querySelector<HTMLElement>('[data-index="0"]')!.click();
    const revert = await untilDom(root, () => root.querySelector<HTMLButtonElement>('[data-action=revert]'));
    revert.click(); // asks first
    expect(store.status.head).toBe(head);
    expect(revert.textContent).toMatch(/^Confirm/);
    revert.click();
    await untilStatus(store, (s) => s.head === head + 1);
    const undone = await untilDom(root, () => root.querySelector<HTMLElement>('.row.undone'));
    expect(undone.querySelector('.pos')!.textContent).toBe(String(head));
    expect(store.get<Todo[]>('todos').map((t) => t.id)).toEqual(['a', 'b']);
  });

  it('unmounting removes the panel and stops listening: a later change touches nothing', async () => {
    const { element, root, unmount } = mount(store);
    await untilDom(root, () => rows(root));
    unmount();
    expect(element.childElementCount).toBe(0);
    const before = document.body.innerHTML;
    await store.append({ type: 'ping', payload: { n: -1 } });
    await new Promise<void>((resolve) => requestAnimationFrame(() => resolve()));
    expect(document.body.innerHTML).toBe(before);
  });
});

describe('the inspector on an in-process store', () => {
  it('shows the log and follows it live: a new event appears as it lands', async () => {
    const local = await createStore({ name: dbName('inspector-local'), projections: { todos } });
    try {
      await local.append({ type: 'added', payload: { id: 'a', title: 'A' } });
      const { root } = mount(local);
      expect(await untilDom(root, () => rows(root))).toEqual(['1']);
      await local.append({ type: 'added', payload: { id: 'b', title: 'B' } });
      expect(await untilDom(root, () => (rows(root)?.length === 2 ? rows(root) : undefined))).toEqual(['2', '1']);
      expect(root.querySelector('.row .client')!.textContent).toBe('this device');
      // Exported, then opened read-only: the same events and states, in the same panel.
      const replay = await openLogExport(JSON.stringify(await exportLog(local)), { projections: { todos } });
      try {
        expect(await replay.events()).toEqual(await local.events());
        expect(replay.get<Todo[]>('todos')).toEqual(local.get<Todo[]>('todos'));
        const other = mount(replay);
        expect(await untilDom(other.root, () => rows(other.root))).toEqual(['2', '1']);
      } finally {
        await replay.close();
      }
    } finally {
      for (const unmount of unmounts.splice(0)) unmount();
      await local.close();
    }
  });
});

describe('the inspector, live and on a compacted log', () => {
  it('keeps the selection on its event while new events arrive above it', async () => {
    const local = await createStore({ name: dbName('inspector-select'), projections: { todos } });
    try {
      await local.append({ type: 'added', payload: { id: 'a', title: 'A' } });
      await local.append({ type: 'added', payload: { id: 'b', title: 'B' } });
      const { root, list } = mount(local);
      await untilDom(root, () => rows(root));
      list.querySelector<HTMLElement>('[data-index="1"]')!.click(); // position 1
      await untilDom(root, () => root.querySelector('.detail h2'));
      await local.append({ type: 'added', payload: { id: 'c', title: 'C' } });
      const selected = await untilDom(root, () =>
        rows(root)?.length === 3 ? root.querySelector<HTMLElement>('.row[aria-selected=true]') : undefined,
      );
      expect(selected.querySelector('.pos')!.textContent).toBe('1');
      expect(root.querySelector('.detail h2')!.textContent).toBe('added · position 1');
    } finally {
      for (const unmount of unmounts.splice(0)) unmount();
      await local.close();
    }
  });

  it('reads only what the store holds after a compaction (no history fetched, every row shown)', async () => {
    const local = await createStore({ name: dbName('inspector-compacted'), projections: { todos } });
    try {
      for (let i = 0; i < 5; i++) await local.append(Array.from({ length: 100 }, (_, n) => ({ type: 'ping', payload: { n } })));
      await local.append({ type: 'added', payload: { id: 'a', title: 'A' } });
      const { compacted } = await local.compact({ before: 250 });
      expect(compacted).toBeGreaterThan(100);
      const { root, list } = mount(local);
      await untilDom(root, () => rows(root));
      list.scrollTop = list.scrollHeight;
      const last = await untilDom(root, () => {
        const r = rows(root);
        return r?.includes(String(compacted + 1)) ? r : undefined;
      });
      expect(last[last.length - 1]).toBe(String(compacted + 1));
      expect(root.querySelector('[role=listbox]')!.getAttribute('aria-busy')).toBe('false');
    } finally {
      for (const unmount of unmounts.splice(0)) unmount();
      await local.close();
    }
  });
});

describe('the inspector with sync', () => {
  it('turns a pending event confirmed, live, and shows the commits the server rejected, with their reasons', async () => {
    const logId = `inspector-${Date.now()}`;
    const sync = { url: inject('syncUrl'), logId, live: false };
    const a = await createStore({ name: dbName('inspector-a'), projections: { todos }, sync });
    const b = await createStore({ name: dbName('inspector-b'), projections: { todos }, sync });
    try {
      b.sync.pause();
      a.sync.pause();
      await a.append({ type: 'added', payload: { id: 'a', title: 'mine' }, stream: 'list' }, { expectedVersion: 'none' });
      // Pending in A's panel until the server confirms it, then confirmed, live.
      const panelA = mount(a);
      const state = () => panelA.root.querySelector('.row[data-index="0"] .state')?.textContent;
      expect(await untilDom(panelA.root, () => (state() === 'pending' ? state() : undefined))).toBe('pending');
      a.sync.resume();
      await a.sync.now();
      expect(await untilDom(panelA.root, () => (state() === 'confirmed' ? state() : undefined))).toBe('confirmed');
      // B, offline, claims the same empty stream: the server rejects its commit.
      const [mine] = await b.append({ type: 'added', payload: { id: 'b', title: 'theirs' }, stream: 'list' }, { expectedVersion: 'none' });
      const { root } = mount(b);
      await untilDom(root, () => rows(root));
      b.sync.resume();
      await b.sync.now();
      const rejected = await untilDom(root, () =>
        [...root.querySelectorAll<HTMLElement>('.rejected li')].find((li) => li.textContent!.startsWith(mine!.commit.slice(0, 8))),
      );
      expect(rejected.textContent).toContain('ConcurrencyError');
      expect((await b.sync.rejected()).map((r) => r.commit)).toEqual([mine!.commit]);
      // Caught up with the server (status.behind), as the summary says.
      const behind = () =>
        [...root.querySelectorAll('.summary dt')].find((dt) => dt.textContent === 'behind the server')?.nextElementSibling?.textContent;
      expect(await untilDom(root, () => (behind() === '0 events' ? behind() : undefined))).toBe('0 events');
    } finally {
      for (const unmount of unmounts.splice(0)) unmount();
      await a.close();
      await b.close();
    }
  });
});
