/**
 * events(query): served by the stream, type or primary index, paged by record, so a
 * query reads only the records that can hold its answer (never the whole log).
 */
import * as v from 'valibot';
import { InvalidEventError } from '../core/errors/index.ts';
import type { StoredEvent } from '../core/event.ts';
import { partEvents } from './records.ts';
import { scanName, scanRecords, type Part } from './scan.ts';
import type { LogDb } from './schema.ts';
import type { EventQuery } from '../api/store.ts';
import { firstIssue } from '../core/issues.ts';

const Name = v.pipe(v.string(), v.minLength(1));
const QuerySchema = v.object({
  stream: v.optional(Name),
  type: v.optional(v.union([Name, v.array(Name)])),
  after: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
  before: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1))),
  limit: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1))),
  reverse: v.optional(v.boolean()),
});

export function validateQuery(query: unknown): EventQuery {
  const result = v.safeParse(QuerySchema, query ?? {});
  if (!result.success) {
    const { path, message } = firstIssue(result.issues);
    throw new InvalidEventError(`Invalid events() query: ${path || 'query'}: ${message}`);
  }
  return result.output as EventQuery;
}

export async function queryEvents(db: LogDb, query: EventQuery): Promise<StoredEvent[]> {
  const { stream, after = 0, before = Infinity, limit = Infinity, reverse = false } = query;
  const types = query.type === undefined ? undefined : Array.isArray(query.type) ? query.type : [query.type];
  if (types?.length === 0) return [];
  // The lowest record key that can hold a position > after (a key only: no record is read).
  const low =
    after === 0
      ? -Infinity
      : ((
          await db.records
            .where(':id')
            .belowOrEqual(after + 1)
            .reverse()
            .limit(1)
            .primaryKeys()
        )[0] ?? after + 1);
  const typeSet = types && new Set(types);
  const keep = (e: StoredEvent) =>
    e.position > after &&
    e.position < before &&
    (stream === undefined || e.stream === stream) &&
    (typeSet === undefined || typeSet.has(e.type));

  const scan = async (kind: 's' | 't' | undefined, name: string): Promise<StoredEvent[]> => {
    const out: StoredEvent[] = [];
    const visit = (part: Part) => {
      const events = partEvents(part).filter(keep);
      if (reverse) events.reverse();
      for (const e of events) {
        out.push(e);
        if (out.length >= limit) return false;
      }
      return true;
    };
    // A part that starts below `before` may hold it: parts are found by their first position.
    const high = before - 1;
    await (kind === undefined ? scanRecords(db, ':id', low, high, reverse, visit) : scanName(db, kind, name, low, high, reverse, visit));
    return out;
  };

  if (stream !== undefined) return scan('s', stream);
  if (types === undefined) return scan(undefined, '');
  if (types.length === 1) return scan('t', types[0]!);
  const merged = new Map<number, StoredEvent>();
  for (const type of new Set(types)) for (const e of await scan('t', type)) merged.set(e.position, e);
  const sorted = [...merged.values()].sort((a, b) => (reverse ? b.position - a.position : a.position - b.position));
  return sorted.slice(0, limit);
}
