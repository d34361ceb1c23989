/**
 * End-to-end encryption in worker mode, in real Chromium with real IndexedDB: the key crosses
 * to the worker as a non-extractable CryptoKey, the server holds only ciphertext, and a
 * DecryptionError crosses back by name with nothing applied.
 */
import { afterEach, describe, expect, inject, it } from 'vitest';
import { isDecryptionError, type Store, type SyncEncryption } from 'eventloom';
import { dbName, type Todo } from '../support/fixtures.ts';
import { rejection } from '../support/rejection.ts';
import { storesPerTest } from '../support/stores.ts';
import { untilStatus } from '../support/wait.ts';

const workers: Worker[] = [];
const stores = storesPerTest();
afterEach(async () => {
  await stores.closeAll(); // while their workers still answer
  for (const w of workers.splice(0)) w.terminate();
});

const aesKey = () => crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);

function open(name: string, logId: string, encryption: SyncEncryption, live = false): Promise<Store> {
  const worker = new Worker(new URL('./store.worker.ts', import.meta.url), { type: 'module' });
  workers.push(worker);
  return stores.open({ name, worker, sync: { url: inject('syncUrl'), logId, live, encryption } });
}

async function rawPull(logId: string): Promise<{ events: Record<string, unknown>[] }> {
  return (await fetch(`${inject('syncUrl')}/v1/logs/${logId}/events?after=0&limit=1000`)).json();
}

describe('end-to-end encryption in worker mode (Chromium)', () => {
  it('two devices with one non-extractable key converge live; the server has only ciphertext', async () => {
    const key = await aesKey();
    expect(key.extractable).toBe(false);
    const logId = dbName('e2e-log');
    const a = await open(dbName('e2e-a'), logId, { key }, true);
    const b = await open(dbName('e2e-b'), logId, { key }, true);
    await b.sync.now();
    await a.append({ type: 'added', payload: { id: 'x', title: 'SECRET-one' }, meta: { by: 'SECRET-ann' } });
    await a.append({ type: 'added', payload: { id: 'y', title: 'SECRET-two' } });
    await a.undo();
    await a.sync.now();
    // b asks nothing: the three events arrive by its live stream (in one page or several, as a's
    // pushes went: so wait on the head, not on an intermediate state b may never see).
    await untilStatus(b, (s) => s.head === 3 && s.pending === 0);
    expect(b.get<Todo[]>('todos').map((t) => t.title)).toEqual(['SECRET-one']);
    expect((await b.events()).map((e) => (e.payload as { title?: string }).title)).toEqual(['SECRET-one', 'SECRET-two', undefined]);
    expect(b.get('todos')).toEqual(a.get('todos'));
    expect(await b.events()).toEqual(await a.events());
    expect((await b.events())[0]!.meta).toEqual({ by: 'SECRET-ann' });

    const raw = await rawPull(logId);
    expect(raw.events.map((e) => e['type'])).toEqual(['added', 'added', '$undo']);
    expect(JSON.stringify(raw)).not.toContain('SECRET');
  });

  it('a device with the wrong key gets DecryptionError across the worker, applies nothing, and catches up with the right key', async () => {
    const key = await aesKey();
    const logId = dbName('e2e-log');
    const a = await open(dbName('e2e-a'), logId, { key });
    await a.append({ type: 'added', payload: { id: 'x', title: 'private' } });
    await a.sync.now();

    const name = dbName('e2e-wrong');
    const wrong = await open(name, logId, { key: await aesKey() });
    const error = await rejection(wrong.sync.now());
    expect(isDecryptionError(error)).toBe(true);
    expect(error.details).toMatchObject({ reason: 'failed', position: 1, keyId: 'default' });
    expect(wrong.status).toMatchObject({ head: 0, sync: 'error', lastError: { name: 'DecryptionError' } });
    expect(await wrong.events()).toEqual([]);
    await wrong.close();

    const right = await open(name, logId, { key });
    await right.sync.now();
    expect(right.get('todos')).toEqual(a.get('todos'));
    expect(right.status).toMatchObject({ head: 1, pending: 0, sync: 'idle' });
  });

  it('a compacted worker store restores older history from the server, opened with the key', async () => {
    const key = await aesKey();
    const logId = dbName('e2e-log');
    const a = await open(dbName('e2e-a'), logId, { keys: { k1: key }, current: 'k1' });
    for (let i = 1; i <= 12; i++) await a.append({ type: 'added', payload: { id: `t${i}`, title: `private ${i}` } });
    await a.sync.now();
    expect((await a.compact({ before: 10 })).compacted).toBe(9);
    const past = await a.stateAt<Todo[]>('todos', { position: 4 });
    expect(past.map((t) => t.title)).toEqual(['private 1', 'private 2', 'private 3', 'private 4']);
  });

  it('an encryption option that is not an AES-GCM key is refused at createStore (TypeError, by name)', async () => {
    const hmac = await crypto.subtle.generateKey({ name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    const error = await rejection(open(dbName('e2e-bad'), dbName('e2e-log'), { key: hmac as CryptoKey }));
    expect(error.name).toBe('TypeError');
    expect(error.message).toMatch(/sync\.encryption has a key "default" that is not an AES-GCM CryptoKey/);
  });
});
