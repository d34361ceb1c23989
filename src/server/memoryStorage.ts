/** An in-memory SyncStorage: for tests and for trying the server out; lost on exit. */
import type { PositionedEvent } from '../sync/protocol.ts';
import { planPush } from './plan.ts';
import { Listeners, type SyncStorage } from './storage.ts';

interface MemoryLog {
  events: PositionedEvent[];
  ids: Map<string, number>;
  versions: Map<string, number>;
}

export function memoryStorage(): SyncStorage {
  const logs = new Map<string, MemoryLog>();
  const listeners = new Listeners();
  const log = (logId: string): MemoryLog => {
    let l = logs.get(logId);
    if (!l) logs.set(logId, (l = { events: [], ids: new Map(), versions: new Map() }));
    return l;
  };
  return {
    async push(logId, events) {
      const l = log(logId);
      const existing = new Map<string, number>();
      for (const e of events) {
        const p = l.ids.get(e.id);
        if (p !== undefined) existing.set(e.id, p);
      }
      const plan = planPush(events, { head: l.events.length, existing, versions: l.versions });
      for (const row of plan.rows) {
        l.events.push(structuredClone(row));
        l.ids.set(row.id, row.position);
      }
      for (const [stream, version] of plan.versions) l.versions.set(stream, version);
      if (plan.rows.length > 0) queueMicrotask(() => listeners.emit(logId, plan.head));
      return { results: plan.results, head: plan.head };
    },
    async read(logId, after, limit) {
      const l = logs.get(logId);
      if (!l) return { events: [], head: 0 };
      return { events: structuredClone(l.events.slice(after, after + limit)), head: l.events.length };
    },
    async head(logId) {
      return logs.get(logId)?.events.length ?? 0;
    },
    subscribe: (logId, listener) => listeners.add(logId, listener),
    async close() {
      listeners.clear();
    },
  };
}
