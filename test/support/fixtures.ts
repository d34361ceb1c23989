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

/** Against the contract: pushes into the state it is given on "pushed" events. */
export const mutating = defineProjection<{ items: string[] }>({
  name: 'mutating',
  initial: () => ({ items: [] }),
  reduce: (state, event) => {
    if (event.type === 'pushed') state.items.push(event.id);
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
export function referenceState<S>(
  projection: { initial: () => S; reduce: (s: S, e: StoredEvent) => S },
  log: StoredEvent[],
): S {
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
