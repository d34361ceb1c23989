import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import {
  isConcurrencyError,
  isInvalidEventError,
  isProjectionError,
  isStoreClosedError,
  isUnknownProjectionError,
  type CreateStoreOptions,
  type Store,
} from '../../src/index.ts';
import { bank, counter, dbName, fragile, projections, type Todo } from '../support/fixtures.ts';
import { rejection } from '../support/rejection.ts';
import { storesPerTest } from '../support/stores.ts';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const stores = storesPerTest();
function store(options: Partial<CreateStoreOptions> = {}): Promise<Store> {
  return stores.open({ name: dbName(), projections, ...options });
}

describe('append', () => {
  it('stores events with the full envelope: UUIDv7 ids, positions, one commit per call', async () => {
    const s = await store();
    const before = Date.now();
    const events = await s.append([
      { type: 'added', payload: { id: 'a', title: 'A' }, meta: { user: 'ann' } },
      { type: 'added', payload: { id: 'b' }, stream: 'list-2' },
    ]);
    expect(events).toHaveLength(2);
    const [a, b] = events as [(typeof events)[0], (typeof events)[0]];
    expect(a).toMatchObject({ type: 'added', position: 1, stream: 'default', pending: false, clientId: s.clientId, meta: { user: 'ann' } });
    expect(b).toMatchObject({ position: 2, stream: 'list-2' });
    expect(a.id).toMatch(UUID_V7);
    expect(b.id).toMatch(UUID_V7);
    expect(a.id).not.toBe(b.id);
    expect(a.commit).toBe(b.commit);
    expect(a.time).toBeGreaterThanOrEqual(before);
    expect(a.time).toBeLessThanOrEqual(Date.now());
    expect(await s.events()).toEqual(events);
    const [c] = await s.append({ type: 'toggled', payload: { id: 'a' } });
    expect(c?.commit).not.toBe(a.commit);
    expect(c?.position).toBe(3);
  });

  it('applies an append to every projection before it resolves', async () => {
    const s = await store();
    await s.append({ type: 'added', payload: { id: 'a', title: 'A' } });
    expect(s.get<Todo[]>('todos')).toEqual([{ id: 'a', title: 'A', done: false }]);
    expect(s.get<{ count: number }>('counter').count).toBe(1);
    expect(s.status).toMatchObject({ head: 1, pending: 0, canUndo: true, canRedo: false, sync: 'off' });
  });

  it('fails the whole append with ProjectionError when a reducer throws, storing nothing', async () => {
    const s = await store({ projections: { ...projections, fragile } });
    await s.append({ type: 'added', payload: { id: 'a' } });
    const error = await rejection(s.append([{ type: 'added', payload: { id: 'b' } }, { type: 'boom' }]));
    expect(isProjectionError(error)).toBe(true);
    expect(error.details).toMatchObject({ projection: 'fragile' });
    expect(error.message).toContain('boom is not allowed');
    expect((await s.events()).map((e) => e.position)).toEqual([1]);
    expect(s.get<Todo[]>('todos').map((t) => t.id)).toEqual(['a']);
    expect(s.get('fragile')).toBe(1);
    expect(s.status.head).toBe(1);
    const [next] = await s.append({ type: 'added', payload: { id: 'c' } });
    expect(next?.position).toBe(2);
  });

  const bad: [string, unknown][] = [
    ['a missing type', { payload: 1 }],
    ['an empty type', { type: '' }],
    ['a type over 256 characters', { type: 'x'.repeat(257) }],
    ['a reserved $ type', { type: '$undo', payload: { commit: 'x' } }],
    ['a non-string type', { type: 42 }],
    ['an empty stream', { type: 'added', stream: '' }],
    ['a stream over 256 characters', { type: 'added', stream: 's'.repeat(257) }],
    ['a function in the payload', { type: 'added', payload: { f: () => 1 } }],
    ['a class instance in the payload', { type: 'added', payload: new (class Node {})() }],
    ['a Map in the payload', { type: 'added', payload: new Map([[1, 2]]) }],
    ['NaN in the payload', { type: 'added', payload: { n: Number.NaN } }],
    ['a BigInt in the payload', { type: 'added', payload: { n: 1n } }],
    [
      'a circular payload',
      {
        type: 'added',
        payload: (() => {
          const o: Record<string, unknown> = {};
          o['self'] = o;
          return o;
        })(),
      },
    ],
    ['a symbol in the payload', { type: 'added', payload: Symbol('s') }],
    ['meta that is not an object', { type: 'added', meta: 'nope' }],
    ['a non-object event', 'added'],
    ['an empty list', []],
  ];
  it.each(bad)('rejects %s with InvalidEventError and leaves the log unchanged', async (_, input) => {
    const s = await store();
    await s.append({ type: 'added', payload: { id: 'a' } });
    const error = await rejection(s.append(input as never));
    expect(isInvalidEventError(error)).toBe(true);
    expect(error.message.length).toBeGreaterThan(10);
    expect((await s.events()).map((e) => e.type)).toEqual(['added']);
    expect(s.status.head).toBe(1);
  });

  it('rejects a bad event in a batch without storing the good ones', async () => {
    const s = await store();
    const error = await rejection(s.append([{ type: 'added', payload: { id: 'a' } }, { type: '' }]));
    expect(isInvalidEventError(error)).toBe(true);
    expect(error.message).toContain('event 1');
    expect(await s.events()).toEqual([]);
  });

  it('refuses a payload or meta with a $sealed member, which marks an encrypted one on the wire (nothing stored)', async () => {
    const s = await store();
    for (const input of [
      { type: 'added', payload: { $sealed: 1 } },
      { type: 'added', payload: { id: 'a' }, meta: { $sealed: true } },
    ]) {
      const error = await rejection(s.append([{ type: 'added', payload: { id: 'ok' } }, input]));
      expect(isInvalidEventError(error)).toBe(true);
      expect(error.message).toMatch(/event 1.*\$sealed is reserved/);
    }
    await s.append({ type: 'added', payload: { nested: { $sealed: 1 } } }); // only the top level is reserved
    expect((await s.events()).map((e) => e.payload)).toEqual([{ nested: { $sealed: 1 } }]);
  });

  it('keeps its own copy of the payload (mutating it afterwards changes nothing)', async () => {
    const s = await store();
    const payload = { id: 'a', title: 'before' };
    await s.append({ type: 'added', payload });
    payload.title = 'after';
    expect(s.get<Todo[]>('todos')[0]?.title).toBe('before');
    expect((await s.events())[0]?.payload).toEqual({ id: 'a', title: 'before' });
  });

  it('groups appends issued together and keeps their order and atomicity', async () => {
    const s = await store({ projections: { ...projections, fragile } });
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) => s.append({ type: i === 25 ? 'boom' : 'added', payload: { id: `t${i}` } })),
    );
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(1);
    expect(isProjectionError((results[25] as PromiseRejectedResult).reason)).toBe(true);
    const events = await s.events();
    expect(events.map((e) => e.position)).toEqual(Array.from({ length: 49 }, (_, i) => i + 1));
    expect(events.map((e) => (e.payload as { id: string }).id)).toEqual(
      Array.from({ length: 50 }, (_, i) => `t${i}`).filter((id) => id !== 't25'),
    );
    expect(s.get<Todo[]>('todos')).toHaveLength(49);
  });

  it('keeps one group commit going through hundreds of queued appends, guarded ones, undos and redos', async () => {
    const s = await store({ projections: { bank } });
    const plain = Array.from({ length: 300 }, (_, i) =>
      s.append({ type: 'deposit', payload: { n: 1 }, stream: `s${i % 50}` }, i < 50 ? { expectedVersion: 'none' } : undefined),
    );
    const mixed = Array.from({ length: 60 }, (_, i) =>
      i % 3 === 0 ? s.undo() : i % 3 === 1 ? s.redo() : s.append({ type: 'deposit', payload: { n: 1 } }),
    );
    const results = await Promise.allSettled([...plain, ...mixed]);
    expect(results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason)).toEqual([]);
    const log = await s.events();
    expect(log.map((e) => e.position)).toEqual(log.map((_, i) => i + 1));
    expect(log.filter((e) => !e.type.startsWith('$'))).toHaveLength(320);
  });
});

describe('expectedVersion', () => {
  it("accepts 'none' on an empty stream and rejects it once the stream has events", async () => {
    const s = await store();
    await s.append({ type: 'added', payload: { id: 'a' }, stream: 'todo-a' }, { expectedVersion: 'none' });
    const error = await rejection(s.append({ type: 'added', stream: 'todo-a' }, { expectedVersion: 'none' }));
    expect(isConcurrencyError(error)).toBe(true);
    expect(error.details).toEqual({ stream: 'todo-a', expectedVersion: 'none', actualVersion: 1 });
    expect((await s.events()).length).toBe(1);
  });

  it('checks a numeric version against the number of non-marker events in the stream', async () => {
    const s = await store();
    await s.append([
      { type: 'added', payload: { id: 'a' }, stream: 'x' },
      { type: 'toggled', payload: { id: 'a' }, stream: 'x' },
    ]);
    await s.append({ type: 'added', payload: { id: 'b' }, stream: 'y' });
    await s.append({ type: 'toggled', payload: { id: 'a' }, stream: 'x' }, { expectedVersion: 2 });
    await s.undo(); // a marker in stream x: the version stays 3
    await s.append({ type: 'toggled', payload: { id: 'a' }, stream: 'x' }, { expectedVersion: 3 });
    const error = await rejection(s.append({ type: 'toggled', payload: { id: 'a' }, stream: 'x' }, { expectedVersion: 3 }));
    expect(isConcurrencyError(error)).toBe(true);
    expect(error.details).toMatchObject({ actualVersion: 4, expectedVersion: 3 });
    await s.append({ type: 'anything', stream: 'x' }, { expectedVersion: 'any' });
    expect((await s.events({ stream: 'x' })).filter((e) => !e.type.startsWith('$'))).toHaveLength(5);
  });

  it('rejects expectedVersion over mixed streams, and bad values, with InvalidEventError', async () => {
    const s = await store();
    const mixed = await rejection(
      s.append(
        [
          { type: 'a', stream: 'x' },
          { type: 'b', stream: 'y' },
        ],
        { expectedVersion: 0 },
      ),
    );
    expect(isInvalidEventError(mixed)).toBe(true);
    for (const expectedVersion of [-1, 1.5, 'some', null]) {
      expect(isInvalidEventError(await rejection(s.append({ type: 'a' }, { expectedVersion: expectedVersion as never })))).toBe(true);
    }
    expect(await s.events()).toEqual([]);
  });

  it('lets exactly one of two racing appends with the same expectedVersion win', async () => {
    const s = await store();
    const results = await Promise.allSettled([
      s.append({ type: 'added', stream: 'race' }, { expectedVersion: 0 }),
      s.append({ type: 'added', stream: 'race' }, { expectedVersion: 0 }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(await s.events({ stream: 'race' })).toHaveLength(1);
  });
});

describe('store surface', () => {
  it('throws UnknownProjectionError for a projection the store does not have', async () => {
    const s = await store();
    expect(() => s.get('nope')).toThrow(expect.objectContaining({ name: 'UnknownProjectionError' }));
    expect(() => s.subscribe('nope', () => undefined)).toThrow(expect.objectContaining({ name: 'UnknownProjectionError' }));
    expect(isUnknownProjectionError(await rejection(s.state('nope')))).toBe(true);
    expect(isUnknownProjectionError(await rejection(s.stateAt('nope', { position: 0 })))).toBe(true);
  });

  it('rejects every call after close() with StoreClosedError', async () => {
    const s = await stores.open({ name: dbName(), projections });
    await s.append({ type: 'added', payload: { id: 'a' } });
    await s.close();
    await s.close(); // closing twice is harmless
    const calls: (() => unknown)[] = [
      () => s.append({ type: 'added' }),
      () => s.get('todos'),
      () => s.state('todos'),
      () => s.subscribe('todos', () => undefined),
      () => s.stateAt('todos', { position: 1 }),
      () => s.events(),
      () => s.undo(),
      () => s.redo(),
      () => s.revert('x'),
      () => s.onStatus(() => undefined),
      () => s.sync.now(),
      () => s.sync.rejected(),
    ];
    for (const call of calls) {
      const error = await rejection(call);
      expect(isStoreClosedError(error)).toBe(true);
      expect(error.details).toEqual({ reason: 'closed' });
    }
  });

  it('finishes appends issued before close() and keeps them', async () => {
    const name = dbName();
    const s = await stores.open({ name, projections });
    const pending = s.append({ type: 'added', payload: { id: 'a' } });
    const closing = s.close();
    await pending;
    await closing;
    const again = await store({ name });
    expect(again.get<Todo[]>('todos').map((t) => t.id)).toEqual(['a']);
  });

  it('persists its clientId per database, unless one is given', async () => {
    const name = dbName();
    const a = await stores.open({ name, projections });
    const id = a.clientId;
    expect(id).toMatch(UUID_V7);
    await a.close();
    const b = await store({ name });
    expect(b.clientId).toBe(id);
    const c = await store({ name, clientId: 'device-7' });
    expect(c.clientId).toBe('device-7');
    const [e] = await c.append({ type: 'added' });
    expect(e?.clientId).toBe('device-7');
  });

  it('notifies subscribers and status listeners after each change, until they unsubscribe', async () => {
    const s = await store();
    const seen: number[] = [];
    const heads: number[] = [];
    const off = s.subscribe<{ count: number }>('counter', (state) => seen.push(state.count));
    const offStatus = s.onStatus((status) => heads.push(status.head));
    await s.append({ type: 'added' });
    await s.append([{ type: 'added' }, { type: 'added' }]);
    off();
    offStatus();
    await s.append({ type: 'added' });
    expect(seen).toEqual([1, 3]);
    expect(heads).toEqual([1, 3]);
    expect(s.get<{ count: number }>('counter').count).toBe(4);
  });

  it('state() resolves with the state including every append made before it', async () => {
    const s = await store();
    const appends = [s.append({ type: 'added' }), s.append({ type: 'added' })];
    const state = await s.state<{ count: number }>('counter');
    expect(state.count).toBe(2);
    await Promise.all(appends);
  });

  it('rejects sync calls on a store without sync', async () => {
    const s = await store();
    await expect(s.sync.now()).rejects.toMatchObject({ name: 'SyncError' });
    expect(await s.sync.rejected()).toEqual([]);
    expect(s.status.sync).toBe('off');
  });

  it('uses the default projection set of counter for several events per call', async () => {
    const s = await store({ projections: { counter } });
    await s.append(Array.from({ length: 10 }, (_, n) => ({ type: 'n', payload: { n } })));
    expect(s.get<{ sum: number }>('counter').sum).toBe(45);
  });
});
