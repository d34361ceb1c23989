/**
 * An in-memory SyncStorage: for tests and for trying the server out; lost on exit. A push
 * copies every row before it changes anything, so a row that cannot be copied leaves the
 * log as it was (a commit is stored whole or not at all).
 */
import type { PositionedEvent } from '../protocol/wire.ts';
import { markerTargets, planPush } from './plan.ts';
import { Listeners, type SyncStorage } from './storage.ts';
import { getOrSet } from '../core/maps.ts';

interface MemoryLog {
  events: PositionedEvent[];
  ids: Map<string, number>;
  versions: Map<string, number>;
  /** Every commit of the log: whether it is a marker commit (plan.ts invariant 5). */
  commits: Map<string, boolean>;
}

export function memoryStorage(): SyncStorage {
  const logs = new Map<string, MemoryLog>();
  const listeners = new Listeners();
  const log = (logId: string): MemoryLog => {
    return getOrSet(logs, logId, () => ({ events: [], ids: new Map(), versions: new Map(), commits: new Map() }));
  };
  return {
    async push(logId, events) {
      const l = log(logId);
      const existing = new Map<string, PositionedEvent>();
      for (const e of events) {
        const p = l.ids.get(e.id);
        if (p !== undefined) existing.set(e.id, l.events[p - 1]!);
      }
      const targets = new Map<string, boolean>();
      for (const commit of markerTargets(events)) {
        const marker = l.commits.get(commit);
        if (marker !== undefined) targets.set(commit, marker);
      }
      const plan = planPush(events, { head: l.events.length, existing, versions: l.versions, targets });
      const rows = plan.rows.map((row) => structuredClone(row)); // all copied before anything changes
      for (const row of rows) {
        l.events.push(row);
        l.ids.set(row.id, row.position);
        const marker = row.type === '$undo' || row.type === '$redo';
        l.commits.set(row.commit, (l.commits.get(row.commit) ?? true) && marker);
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
