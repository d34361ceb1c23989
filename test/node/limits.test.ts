import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import { createStore, isInvalidEventError, type Store } from '../../src/index.ts';
import { createSyncApp, memoryStorage } from '../../src/server/index.ts';
import { dbName, projections } from '../support/fixtures.ts';
import { rejection } from '../support/rejection.ts';

// append() applies the sync server's own rules (src/core/limits.ts): nothing it stores can
// be refused by the server for its names or its depth.
const stores: Store[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
});

async function store(): Promise<Store> {
  const s = await createStore({ name: dbName('limits'), projections });
  stores.push(s);
  return s;
}

/** `[[[…]]]` nested `depth` levels deep (depth 0: a number). */
function nested(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

describe('append() applies the server’s limits', () => {
  it.each([
    ['a type with a NUL', { type: 'a\u0000b' }, 'type'],
    ['a type with a lone surrogate', { type: 'bad\uD800' }, 'type'],
    ['a stream with a NUL', { type: 'ok', stream: 's\u0000' }, 'stream'],
    ['a stream with a lone low surrogate', { type: 'ok', stream: '\uDC00s' }, 'stream'],
  ])('refuses %s with InvalidEventError and stores nothing', async (_, event, field) => {
    const s = await store();
    const error = await rejection(s.append(event));
    expect(isInvalidEventError(error)).toBe(true);
    expect(error.message).toContain(field);
    expect(error.message).toMatch(/NUL|surrogate/);
    expect(s.status.head).toBe(0);
    expect(await s.events()).toEqual([]);
  });

  it('keeps names with surrogate pairs (emoji) and other Unicode', async () => {
    const s = await store();
    const [e] = await s.append({ type: 'added 📝', stream: 'straße/😀', payload: { id: 'x' } });
    expect(e).toMatchObject({ type: 'added 📝', stream: 'straße/😀' });
  });

  it('takes a payload 64 levels deep and refuses 65, in payload and in meta', async () => {
    const s = await store();
    await s.append({ type: 'deep', payload: nested(64), meta: { m: nested(63) } });
    const payload = await rejection(s.append({ type: 'deep', payload: nested(65) }));
    expect(isInvalidEventError(payload)).toBe(true);
    expect(payload.message).toMatch(/deeper than 64/);
    const meta = await rejection(s.append({ type: 'deep', meta: { m: nested(64) } }));
    expect(isInvalidEventError(meta)).toBe(true);
    expect(s.status.head).toBe(1);
  });

  it('refuses a payload nested a hundred thousand levels deep with InvalidEventError, not a RangeError', async () => {
    const s = await store();
    const error = await rejection(s.append({ type: 'deep', payload: nested(100_000) }));
    expect(error.name).toBe('InvalidEventError');
    expect(s.status.head).toBe(0);
  });

  it('the server refuses what append() refuses, with the same depth limit', async () => {
    const app = createSyncApp({ storage: memoryStorage() });
    const push = (payload: unknown, type = 't') =>
      app.fetch(
        new Request('http://127.0.0.1/v1/logs/l/events', {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ events: [{ id: `id-${Math.random()}`, type, payload, stream: 'default', clientId: 'c', commit: `c-${Math.random()}`, time: 1 }] }),
        }),
      );
    expect((await push(nested(64))).status).toBe(200);
    expect((await push(nested(65))).status).toBe(400);
    expect((await push(1, 'x\u0000')).status).toBe(400);
  });
});
