import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../src/index.ts';
import { MarkerLog } from '../../src/core/markers.ts';
import type { Projection } from '../../src/core/projection.ts';
import { EventSchema } from '../../src/core/upcast.ts';
import { eventsOf, makeRecord } from '../../src/storage/records.ts';
import { openLogDb, type LogDb, type RecordEvent } from '../../src/storage/schema.ts';
import { Draft } from '../../src/worker/draft.ts';
import { emptyView } from '../../src/worker/view.ts';
import { dbName, todos } from '../support/fixtures.ts';

// What a draft keeps of this client's events when they come from elsewhere (another
// tab of this database, or back from the server in a rebase): the own events (Draft
// invariant 5) and the undo index (invariant 6) take them as if written here.

const dbs: LogDb[] = [];
afterEach(() => {
  for (const db of dbs.splice(0)) db.close();
});

const body = (id: string, commit: string, clientId = 'me'): RecordEvent => ({
  id,
  type: 'added',
  payload: { id },
  stream: 's',
  clientId,
  commit,
  time: 1,
});

/** A log of `records` (each a list of events) and a draft at `head` that knows nothing of its own events yet. */
async function setup(records: RecordEvent[][], head: number): Promise<{ ws: Draft; events: (first: number) => StoredEvent[] }> {
  const db = openLogDb({ name: dbName('working') });
  dbs.push(db);
  let first = 1;
  const written = records.map((events) => {
    const record = makeRecord(first, events, false);
    first += events.length;
    return record;
  });
  await db.records.bulkAdd(written);
  const ws = new Draft(
    { db, projections: [todos as Projection<unknown>], every: 0, schema: new EventSchema({}) },
    { ...emptyView({ head, compacted: 0, pending: 0, epoch: 0, markers: new MarkerLog() }), maxTime: 0, states: { todos: [] } },
    new Map(),
    'me',
  );
  return { ws, events: (at) => [...eventsOf(written.find((r) => r.first === at)!)] };
}

describe('a draft taking this client’s events from elsewhere', () => {
  it('adds the commits to the own events and the undo index, as if written here', async () => {
    const { ws, events } = await setup([[body('o1', 'other', 'them')], [body('a1', 'A'), body('a2', 'A')], [body('b1', 'B')]], 1);
    await ws.apply(events(2), { capture: false });
    await ws.apply(events(4), { capture: false });
    expect(ws.view.own.from).toBe(2);
    expect(ws.view.own.events.map((e) => e.id)).toEqual(['a1', 'a2', 'b1']);
    expect(ws.view.undo.live.map((c) => [c.commit, c.position])).toEqual([
      ['A', 2],
      ['B', 4],
    ]);
    expect(ws.view.undo.redo).toEqual([]);
  });

  it('leaves out a first commit that started before the events (a page cut it): the own events starts after it', async () => {
    // Commit A: a1 at 1 and a2 at 2, in two records; the draft is at 1 (as after a rewind there).
    const { ws, events } = await setup([[body('a1', 'A')], [body('a2', 'A'), body('b1', 'B')]], 1);
    await ws.apply(events(2), { capture: false });
    expect(ws.view.own.from).toBe(3);
    expect(ws.view.own.events.map((e) => e.id)).toEqual(['b1']);
    expect(ws.view.undo.live.map((c) => c.commit)).toEqual(['B']);
  });
});
