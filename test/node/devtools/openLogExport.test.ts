// openLogExport() (src/devtools/openLogExport.ts): an export opened as a read-only store replays the same log.
import 'fake-indexeddb/auto';
import { expect, it } from 'vitest';
import { isInvalidEventError, isReadOnlyStoreError, type Store } from '../../../src/index.ts';
import { exportLog, openLogExport } from '../../../src/devtools/index.ts';
import { dbName, projections, type Todo } from '../../support/fixtures.ts';
import { rejection } from '../../support/rejection.ts';
import { storesPerTest } from '../../support/stores.ts';

const stores = storesPerTest();

async function someLog(): Promise<Store> {
  const store = await stores.open({ name: dbName('source'), projections, snapshotEvery: 4 });
  await store.append({ type: 'added', payload: { id: 'a', title: 'A' } });
  await store.append([
    { type: 'added', payload: { id: 'b', title: 'B' } },
    { type: 'toggled', payload: { id: 'a' }, stream: 'chores', meta: { by: 'ann' } },
  ]);
  const [c] = await store.append({ type: 'added', payload: { id: 'c', title: 'C' } });
  await store.revert(c!.commit);
  await store.append(Array.from({ length: 10 }, (_, n) => ({ type: 'ping', payload: { n } })));
  return store;
}

it('replays the same events, states, past states and undo stack, as the exporting client', async () => {
  const source = await someLog();
  const json = JSON.stringify(await exportLog(source));
  const replay = await openLogExport(json, { projections });
  try {
    expect(replay.clientId).toBe(source.clientId);
    expect(await replay.events()).toEqual(await source.events());
    expect(replay.get<Todo[]>('todos')).toEqual(source.get<Todo[]>('todos'));
    expect(await replay.stateAt('todos', { position: 3 })).toEqual(await source.stateAt('todos', { position: 3 }));
    expect(replay.status).toMatchObject({ head: source.status.head, pending: 0, canUndo: source.status.canUndo });
  } finally {
    await replay.close();
  }
});

it('rejects every write with ReadOnlyStoreError and writes nothing', async () => {
  const source = await someLog();
  const replay = await openLogExport(await exportLog(source), { projections });
  try {
    const head = replay.status.head;
    for (const write of [
      () => replay.append({ type: 'added', payload: { id: 'x' } }),
      () => replay.undo(),
      () => replay.redo(),
      () => replay.revert('any'),
      () => replay.compact({ before: 2 }),
      () => replay.sync.clearRejected(),
    ]) {
      const error = await rejection(write);
      expect(isReadOnlyStoreError(error), String(error)).toBe(true);
    }
    expect(replay.status.head).toBe(head);
    expect(await replay.events()).toHaveLength(head);
  } finally {
    await replay.close();
  }
});

it('refuses what is not a whole log export, with a clear error', async () => {
  for (const bad of ['{', '{"format":"other"}', JSON.stringify({ format: 'eventloom-log', version: 2 })]) {
    const error = await rejection(() => openLogExport(bad, { projections }));
    expect(isInvalidEventError(error), bad).toBe(true);
    expect((error as Error).message).toMatch(/^Not a log export/);
  }
  const whole = await exportLog(await someLog());
  const broken = [
    { ...whole, events: [...whole.events, { ...whole.events[0]!, position: whole.events.length + 1 }] }, // an id twice
    { ...whole, status: { ...whole.status, head: whole.status.head + 1 } }, // truncated
    { ...whole, events: whole.events.slice(1) }, // a gap at the start
  ];
  for (const bad of broken) {
    const error = await rejection(() => openLogExport(bad, { projections }));
    expect(isInvalidEventError(error)).toBe(true);
  }
  const source = await someLog();
  await source.compact({ before: 5 });
  const error = await rejection(async () => openLogExport(await exportLog(source), { projections }));
  expect(isInvalidEventError(error)).toBe(true);
  expect((error as Error).message).toMatch(/compacted/);
});
