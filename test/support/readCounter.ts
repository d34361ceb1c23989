/**
 * Counts what the log's tables hand out: every Dexie database opened after this module is
 * imported counts the values read from its `records` and `slices` tables, the events in them,
 * the read requests, and the snapshots read, so a test can check that a read costs what it
 * returns.
 */
import { Dexie, type DBCore, type DBCoreTable } from 'dexie';

/** Values read from the records and slices tables of every Dexie database opened from now on, the read requests, and snapshots read. */
const reads = { records: 0, slices: 0, events: 0, requests: 0, snapshots: 0 };
const counted = new Set(['records', 'slices']);
function countReads(down: DBCore): DBCore {
  return {
    ...down,
    table(name: string): DBCoreTable {
      const table = down.table(name);
      if (name === 'snapshots') {
        // Snapshots are found by a cursor that reads values until one is accepted: count its steps.
        return {
          ...table,
          get: (req) =>
            table.get(req).then((value) => {
              if (value) reads.snapshots++;
              return value;
            }),
          openCursor: (req) =>
            table.openCursor(req).then((cursor) => {
              if (!cursor || !req.values) return cursor;
              const start = cursor.start.bind(cursor);
              cursor.start = (onNext) =>
                start(() => {
                  reads.snapshots++;
                  onNext();
                });
              return cursor;
            }),
        };
      }
      if (!counted.has(name)) return table;
      const count = (values: readonly unknown[]) => {
        for (const v of values) {
          if (!v) continue;
          reads[name as 'records' | 'slices']++;
          reads.events += (v as { events: unknown[] }).events.length;
        }
      };
      return {
        ...table,
        // Dexie's own promises (then, not await), which keep its transaction zone.
        get: (req) =>
          table.get(req).then((value) => {
            count([value]);
            return value;
          }),
        getMany: (req) =>
          table.getMany(req).then((values) => {
            count(values);
            return values;
          }),
        query: (req) =>
          table.query(req).then((result) => {
            reads.requests++;
            if (req.values) count(result.result);
            return result;
          }),
      };
    },
  };
}
Dexie.addons.push((db) => {
  db.use({ stack: 'dbcore', name: 'countReads', create: countReads });
});
export function counting<T>(
  run: () => Promise<T>,
): Promise<{ value: T; records: number; slices: number; events: number; requests: number; snapshots: number }> {
  reads.records = reads.slices = reads.events = reads.requests = reads.snapshots = 0;
  return run().then((value) => ({ value, ...reads }));
}
