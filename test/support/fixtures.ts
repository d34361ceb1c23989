/** Shared test projections and helpers (node and browser). */
import { defineProjection, type StoredEvent } from '../../src/index.ts';

export interface Todo {
  id: string;
  title: string;
  done: boolean;
}

/** A list of todos: add / toggle / remove by id. */
export const todos = defineProjection<Todo[]>({
  name: 'todos',
  initial: () => [],
  reduce: (state, event) => {
    const p = (event.payload ?? {}) as { id: string; title?: string };
    switch (event.type) {
      case 'added':
        return [...state, { id: p.id, title: p.title ?? '', done: false }];
      case 'toggled':
        return state.map((t) => (t.id === p.id ? { ...t, done: !t.done } : t));
      case 'removed':
        return state.filter((t) => t.id !== p.id);
      default:
        return state;
    }
  },
});

/** Counts events per type and sums `n` payloads: cheap to compare in property tests. */
export const counter = defineProjection<{ count: number; sum: number; log: string[] }>({
  name: 'counter',
  initial: () => ({ count: 0, sum: 0, log: [] }),
  reduce: (state, event) => ({
    count: state.count + 1,
    sum: state.sum + ((event.payload as { n?: number } | null)?.n ?? 0),
    log: [...state.log, event.id],
  }),
});

/** Throws on events of type "boom". */
export const fragile = defineProjection<number>({
  name: 'fragile',
  initial: () => 0,
  reduce: (state, event) => {
    if (event.type === 'boom') throw new Error('boom is not allowed');
    return state + 1;
  },
});

/** A balance that refuses to go below zero ("deposit" / "withdraw" `n`): a pure rule that can make a replay throw. */
export const bank = defineProjection<number>({
  name: 'bank',
  initial: () => 0,
  reduce: (s, e) => {
    const n = (e.payload as { n?: number } | null)?.n ?? 0;
    if (e.type === 'deposit') return s + n;
    if (e.type === 'withdraw') {
      if (s < n) throw new Error(`overdrawn: ${s} < ${n}`);
      return s - n;
    }
    return s;
  },
});

/** Against the contract: pushes into the state it is given on "pushed" events. */
export const mutating = defineProjection<{ items: string[] }>({
  name: 'mutating',
  initial: () => ({ items: [] }),
  reduce: (state, event) => {
    if (event.type === 'pushed') state.items.push(event.id);
    return state;
  },
});

/** The same, on "shoved" events, with the check off (freeze: false), as a production build may have it. */
export const mutatingUnchecked = defineProjection<{ items: string[] }>({
  name: 'mutatingUnchecked',
  freeze: false,
  initial: () => ({ items: [] }),
  reduce: (state, event) => {
    if (event.type === 'shoved') state.items.push(event.id);
    return state;
  },
});

export interface Item {
  id: string;
  title: string;
  qty: number;
}

export interface Catalog {
  groups: Record<string, Record<string, Item>>;
  total: number;
}

/**
 * Items in groups, updated immutably: a change copies one item, its group and the top
 * level, and shares every other group and item (what worker mode's patches rely on).
 */
export const catalog = defineProjection<Catalog>({
  name: 'catalog',
  initial: () => ({ groups: {}, total: 0 }),
  reduce: (state, event) => {
    const p = (event.payload ?? {}) as { id: string; group?: string; title?: string; qty?: number };
    const name = p.group ?? 'main';
    const group = state.groups[name] ?? {};
    switch (event.type) {
      case 'item.set': {
        const item = { id: p.id, title: p.title ?? '', qty: p.qty ?? 0 };
        return {
          groups: { ...state.groups, [name]: { ...group, [p.id]: item } },
          total: state.total + (Object.hasOwn(group, p.id) ? 0 : 1),
        };
      }
      case 'item.removed': {
        if (!Object.hasOwn(group, p.id)) return state;
        const { [p.id]: _gone, ...rest } = group;
        return { groups: { ...state.groups, [name]: rest }, total: state.total - 1 };
      }
      default:
        return state;
    }
  },
});

/** Quantities by item id in a Map (a new Map per change). */
export const stock = defineProjection<Map<string, number>>({
  name: 'stock',
  initial: () => new Map(),
  reduce: (state, event) => {
    const p = (event.payload ?? {}) as { id: string; qty?: number };
    if (event.type === 'item.set') return new Map(state).set(p.id, p.qty ?? 0);
    if (event.type === 'item.removed' && state.has(p.id)) {
      const next = new Map(state);
      next.delete(p.id);
      return next;
    }
    return state;
  },
});

export const projections = { todos, counter };

/** A projection that counts its events and how often its reducer ran (`calls`, resettable). */
export function countingProjection(): { counting: ReturnType<typeof defineProjection<number>>; calls: { n: number } } {
  const calls = { n: 0 };
  const counting = defineProjection<number>({
    name: 'counting',
    initial: () => 0,
    reduce: (n) => {
      calls.n++;
      return n + 1;
    },
  });
  return { counting, calls };
}

let unique = 0;
export function dbName(prefix = 'test'): string {
  return `${prefix}-${Date.now()}-${unique++}-${Math.random().toString(36).slice(2)}`;
}

/** The reference semantics: a plain fold over the effective events of a log. */
export function referenceState<S>(projection: { initial: () => S; reduce: (s: S, e: StoredEvent) => S }, log: StoredEvent[]): S {
  const undone = new Map<string, boolean>();
  for (const e of log) {
    if (e.type === '$undo' || e.type === '$redo') undone.set((e.payload as { commit: string }).commit, e.type === '$undo');
  }
  return log
    .filter((e) => !e.type.startsWith('$') && !undone.get(e.commit))
    .reduce((s, e) => projection.reduce(s, e), projection.initial());
}

/** A StorageManager stand-in whose figures never change: status.storage stays put. */
export const steadyStorage = {
  estimate: async () => ({ usage: 1024, quota: 1024 * 1024 * 1024 }),
  persisted: async () => false,
};
