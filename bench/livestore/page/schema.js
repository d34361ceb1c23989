// LiveStore's side of the benchmark projection (bench/page/projection.js): a count, per-type
// counters and the last title per stream, as LiveStore models state: SQLite tables written by
// materializers (https://docs.livestore.dev/building-with-livestore/state/materializers).
//
// Events: one synced event per type of bench/page/data.js (added, renamed, done, removed), each
// with the same payload { id, title, n } (id = `t<k>`: one per stream `todo-<k>`, so the
// per-stream row is keyed by it). Tables:
//   counters(type PRIMARY KEY, count)   one row per type; the total count is their sum
//   streams(id PRIMARY KEY, title, n)   the last title (and n) per stream
// The counter is an upsert `count = count + 1` (raw SQL: the query builder has no increment);
// the stream row an insert-or-replace through the query builder. Both run in the
// materializer's transaction, once in the page's session database and once in the leader's.
import { Events, makeSchema, Schema, State } from '@livestore/livestore';

export const TYPES = ['added', 'renamed', 'done', 'removed'];

export const tables = {
  counters: State.SQLite.table({
    name: 'counters',
    columns: {
      type: State.SQLite.text({ primaryKey: true }),
      count: State.SQLite.integer({ default: 0 }),
    },
  }),
  streams: State.SQLite.table({
    name: 'streams',
    columns: {
      id: State.SQLite.text({ primaryKey: true }),
      title: State.SQLite.text({ default: '' }),
      n: State.SQLite.integer({ default: 0 }),
    },
  }),
};

const Payload = Schema.Struct({ id: Schema.String, title: Schema.String, n: Schema.Number });
export const events = Object.fromEntries(TYPES.map((type) => [type, Events.synced({ name: type, schema: Payload })]));

const COUNT_SQL = 'INSERT INTO counters (type, count) VALUES ($type, 1) ON CONFLICT(type) DO UPDATE SET count = count + 1';
const COUNTER_TABLES = new Set(['counters']);
const materializers = State.SQLite.materializers(
  events,
  Object.fromEntries(
    TYPES.map((type) => [
      type,
      ({ id, title, n }) => [
        { sql: COUNT_SQL, bindValues: { type }, writeTables: COUNTER_TABLES },
        tables.streams.insert({ id, title, n }).onConflict('id', 'replace'),
      ],
    ]),
  ),
);

const state = State.SQLite.makeState({ tables, materializers });
export const schema = makeSchema({ events, state });

/** An event of bench/page/data.js (makeEvents) as the LiveStore event to commit. */
export const toLiveStore = (e) => events[e.type](e.payload);
