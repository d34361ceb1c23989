import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as api from '../../src/index.ts';
import { reviveError, toErrorData } from '../../src/core/errors/index.ts';
import { dbName, projections, type Todo } from '../support/fixtures.ts';
import { ERROR_NAMES } from '../support/errorNames.ts';
import { rejection } from '../support/rejection.ts';

const NAMES = ERROR_NAMES;

afterEach(() => vi.restoreAllMocks());

describe('errors', () => {
  it.each(NAMES)('%s has a fixed name, an isX() guard, and survives being sent as data', (name) => {
    const Class = api[name];
    const guard = api[`is${name}`];
    const error = new Class('what went wrong', { details: { stream: 's' }, cause: new TypeError('inner') });
    expect(error.name).toBe(name);
    expect(guard(error)).toBe(true);
    expect(api.isEventloomError(error)).toBe(true);
    // by name, not instanceof: a plain object from another realm is recognised
    expect(guard({ name, message: 'x' })).toBe(true);
    expect(guard(new Error('x'))).toBe(false);
    expect(guard(null)).toBe(false);
    // and no other Eventloom error passes it
    for (const other of NAMES) if (other !== name) expect(guard(new api[other]('x'))).toBe(false);
    const data = structuredClone(toErrorData(error));
    const revived = reviveError(data) as InstanceType<typeof Class>;
    expect(revived).toBeInstanceOf(Class);
    expect(revived.name).toBe(name);
    expect(revived.message).toBe('what went wrong');
    expect(revived.details).toEqual({ stream: 's' });
    expect((revived.cause as Error).name).toBe('TypeError');
  });

  it('turns an IndexedDB quota error into StorageFullError, stores nothing, and stays usable', async () => {
    const store = await api.createStore({ name: dbName(), projections });
    await store.append({ type: 'added', payload: { id: 'a' } });
    // fake-indexeddb has no quota: the next write fails the way a full disk does.
    const spy = vi.spyOn(IDBObjectStore.prototype, 'add').mockImplementationOnce(() => {
      throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    });
    const error = await rejection(store.append({ type: 'added', payload: { id: 'b' } }));
    expect(spy).toHaveBeenCalled();
    expect(api.isStorageFullError(error)).toBe(true);
    expect((await store.events()).length).toBe(1);
    expect(store.get<Todo[]>('todos').map((t) => t.id)).toEqual(['a']);
    await store.append({ type: 'added', payload: { id: 'c' } });
    expect(store.get<Todo[]>('todos').map((t) => t.id)).toEqual(['a', 'c']);
    expect(store.status.head).toBe(2);
    await store.close();
  });
});
