/**
 * End-to-end encryption through a real server on a real SQLite file, with in-process stores:
 * what the server holds, convergence with everything a log does, and every way a replica can
 * fail to open what it pulls (DecryptionError, nothing applied).
 */
import 'fake-indexeddb/auto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deriveKey, isDecryptionError, type StoredEvent, type Store, type SyncEncryption } from '../../../src/index.ts';
import { sqliteStorage, startSyncServer, type RunningSyncServer } from '../../../src/server/index.ts';
import { dbName, projections, type Todo } from '../../support/fixtures.ts';
import { rejection } from '../../support/rejection.ts';
import { storesPerTest } from '../../support/stores.ts';
import { until } from '../../support/wait.ts';

const stores = storesPerTest();
let server: RunningSyncServer;
let dir: string;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'eventloom-e2e-'));
  server = await startSyncServer({ port: 0, storage: sqliteStorage({ path: join(dir, 'log.db') }), warn: () => undefined });
});
afterEach(async () => {
  await stores.closeAll();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const aesKey = () => crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']) as Promise<CryptoKey>;

function replica(
  logId: string,
  encryption: SyncEncryption | undefined,
  options: { name?: string; live?: boolean; fetch?: typeof fetch; compaction?: { keep: number } } = {},
): Promise<Store> {
  return stores.open({
    name: options.name ?? dbName('e2e'),
    projections,
    ...(options.compaction ? { compaction: options.compaction } : {}),
    sync: {
      url: server.url,
      logId,
      live: options.live ?? false,
      ...(encryption ? { encryption } : {}),
      ...(options.fetch ? { fetch: options.fetch } : {}),
    },
  });
}

/** What the server serves for a log, as any client without a key gets it. */
async function rawPull(logId: string): Promise<{ events: Record<string, unknown>[]; head: number }> {
  const response = await fetch(`${server.url}/v1/logs/${logId}/events?after=0&limit=1000`);
  return (await response.json()) as { events: Record<string, unknown>[]; head: number };
}

async function rawPush(logId: string, events: unknown[]): Promise<Response> {
  return fetch(`${server.url}/v1/logs/${logId}/events`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ events }),
  });
}

const content = (events: StoredEvent[]) =>
  events.map(({ id, type, payload, meta, stream, position, commit, clientId, time }) => ({
    id,
    type,
    payload,
    meta,
    stream,
    position,
    commit,
    clientId,
    time,
  }));

/** A replica with a fresh key that has made two events, both on the server. */
async function twoEventsSynced(): Promise<{ key: CryptoKey; a: Store }> {
  const key = await aesKey();
  const a = await replica('fleet', { key });
  await a.append({ type: 'added', payload: { id: 't1', title: 'one' } });
  await a.append({ type: 'added', payload: { id: 't2', title: 'two' } });
  await a.sync.now();
  return { key, a };
}

const titles = (store: Store) => store.get<Todo[]>('todos').map((t) => `${t.title}${t.done ? ' ✓' : ''}`);

describe('end-to-end encryption (sync.encryption)', () => {
  it('the server holds only ciphertext (a raw pull, the SQLite file): a replica with the key reads everything back', async () => {
    const key = await aesKey();
    const a = await replica('fleet', { key });
    await a.append([
      { type: 'added', payload: { id: 't1', title: 'SECRET-TITLE-one' }, meta: { by: 'SECRET-META-ann' } },
      { type: 'added', payload: { id: 't2', title: 'SECRET-TITLE-two' } },
    ]);
    await a.append({ type: 'toggled', payload: { id: 't1' }, stream: 'SECRET-STREAM-visible' });
    await a.undo();
    await a.sync.now();

    const raw = await rawPull('fleet');
    expect(raw.head).toBe(4);
    expect(JSON.stringify(raw)).not.toMatch(/SECRET-(TITLE|META)/);
    // What the server still sees: types, streams, commits, clients, and a marker's target.
    expect(raw.events.map((e) => e['type'])).toEqual(['added', 'added', 'toggled', '$undo']);
    expect(raw.events[2]!['stream']).toBe('SECRET-STREAM-visible');
    for (const e of raw.events.slice(0, 3)) {
      expect(e['payload']).toMatchObject({ $sealed: 1, key: 'default' });
      expect(e).not.toHaveProperty('meta');
    }
    expect(raw.events[3]!['payload']).toEqual({ commit: raw.events[2]!['commit'] });
    expect(raw.events[3]!['meta']).toMatchObject({ $sealed: 1 });

    const b = await replica('fleet', { key });
    await b.sync.now();
    expect(content(await b.events())).toEqual(content(await a.events()));
    expect((await b.events())[0]!.meta).toEqual({ by: 'SECRET-META-ann' });
    expect(b.get('todos')).toEqual(a.get('todos'));
    expect(titles(b)).toEqual(['SECRET-TITLE-one', 'SECRET-TITLE-two']);

    await stores.closeAll();
    await server.close();
    const files = readdirSync(dir).filter((f) => f.startsWith('log.db'));
    expect(files).toContain('log.db');
    const bytes = Buffer.concat(files.map((f) => readFileSync(join(dir, f))));
    expect(bytes.includes('SECRET-STREAM-visible')).toBe(true); // the file is read as it is: streams are in it
    expect(bytes.includes('SECRET-TITLE')).toBe(false);
    expect(bytes.includes('SECRET-META')).toBe(false);
    server = await startSyncServer({ port: 0, storage: sqliteStorage({ path: join(dir, 'log.db') }), warn: () => undefined });
  });

  it('two replicas converge through a conflict, undo, redo and a revert of the other one', async () => {
    const key = await aesKey();
    const a = await replica('fleet', { key });
    const b = await replica('fleet', { key });
    a.sync.pause();
    b.sync.pause();
    await a.append({ type: 'added', payload: { id: 'a1', title: 'from a' }, stream: 'list' }, { expectedVersion: 'none' });
    await b.append({ type: 'added', payload: { id: 'b1', title: 'from b' }, stream: 'list' }, { expectedVersion: 'none' });
    await b.append({ type: 'added', payload: { id: 'b2', title: 'b again' } });
    a.sync.resume();
    await a.sync.now();
    b.sync.resume();
    await b.sync.now();
    const [lost] = await b.sync.rejected();
    expect(lost!.reason.name).toBe('ConcurrencyError');
    expect(lost!.events.map((e) => e.payload)).toEqual([{ id: 'b1', title: 'from b' }]); // rejected events, kept opened
    expect(titles(b)).toEqual(['from a', 'b again']);

    await a.append({ type: 'toggled', payload: { id: 'a1' } });
    await a.undo();
    await a.redo();
    await a.sync.now();
    await b.sync.now();
    const bCommit = (await b.events({ type: 'added' })).find((e) => e.clientId === b.clientId)!.commit;
    await a.revert(bCommit);
    await a.sync.now();
    await b.sync.now();
    await a.sync.now();

    expect(titles(a)).toEqual(['from a ✓']);
    expect(content(await b.events())).toEqual(content(await a.events()));
    expect(b.get('todos')).toEqual(a.get('todos'));
    expect(b.status).toMatchObject({ pending: 0, sync: 'idle' });
    expect(b.status.canRedo).toBe(false);
  });

  it('a compacted replica restores older history from the server, opened with its key', async () => {
    const key = await aesKey();
    const a = await replica('fleet', { key });
    for (let i = 1; i <= 30; i++) await a.append({ type: 'added', payload: { id: `t${i}`, title: `secret ${i}` } });
    await a.sync.now();
    const c = await replica('fleet', { key });
    await c.sync.now();
    expect((await c.compact({ before: 25 })).compacted).toBe(24);
    expect(await c.events({ limit: 1 })).toHaveLength(1);
    const past = await c.stateAt<Todo[]>('todos', { position: 10 });
    expect(past).toEqual(await a.stateAt('todos', { position: 10 }));
    expect(past.map((t) => t.title)).toContain('secret 10');
  });

  it('live events of another replica arrive opened', async () => {
    const key = await aesKey();
    const a = await replica('fleet', { key }, { live: true });
    const b = await replica('fleet', { key }, { live: true });
    await b.sync.now(); // b's live stream opens after its first round
    await a.append({ type: 'added', payload: { id: 'l1', title: 'live secret' } });
    await a.sync.now();
    expect((await until<Todo[]>(b, 'todos', (s) => s.length === 1))[0]!.title).toBe('live secret');
  });

  it('a replica with the wrong key, another key id or no key gets DecryptionError, applies and pushes nothing, and catches up once opened with the key', async () => {
    const { key, a } = await twoEventsSynced();

    let pushed = 2;
    const cases: [SyncEncryption | undefined, string][] = [
      [{ key: await aesKey() }, 'failed'],
      [{ keys: { other: await aesKey() }, current: 'other' }, 'unknown-key'],
      [undefined, 'no-key'],
    ];
    for (const [encryption, reason] of cases) {
      const name = dbName('e2e-wrong');
      const wrong = await replica('fleet', encryption, { name });
      wrong.sync.pause();
      await wrong.append({ type: 'added', payload: { id: `w-${reason}`, title: `made with ${reason}` } });
      wrong.sync.resume();
      const error = await rejection(wrong.sync.now());
      expect(isDecryptionError(error)).toBe(true);
      expect(error.details).toMatchObject({ reason, position: 1 });
      expect(wrong.status).toMatchObject({ head: 1, pending: 1, sync: 'error', lastError: { name: 'DecryptionError' } });
      expect((await wrong.events()).map((e) => e.pending)).toEqual([true]);
      // Nothing it could not read reached the server: the others' log stays readable.
      expect((await rawPull('fleet')).head).toBe(pushed);
      await wrong.close();

      const right = await replica('fleet', { key }, { name });
      await right.sync.now();
      pushed += 1; // its pending event, sealed with the log's key now
      expect(right.status).toMatchObject({ head: pushed, pending: 0, sync: 'idle' });
      await a.sync.now();
      expect(right.get('todos')).toEqual(a.get('todos'));
    }
    expect(titles(a)).toEqual(['one', 'two', 'made with failed', 'made with unknown-key', 'made with no-key']);
  });

  it('a server that swaps two ciphertexts, moves one to another log, or serves events of its own is caught (nothing applied)', async () => {
    const { key } = await twoEventsSynced();

    // Swapped in a pull answer.
    const swapping: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      if (init?.method === 'POST' || !String(input).includes('/events?')) return response;
      const body = (await response.json()) as { events: { payload: unknown }[] };
      if (body.events.length >= 2) [body.events[0]!.payload, body.events[1]!.payload] = [body.events[1]!.payload, body.events[0]!.payload];
      return Response.json(body);
    };
    const swapped = await replica('fleet', { key }, { fetch: swapping });
    expect((await rejection(swapped.sync.now())).details).toMatchObject({ reason: 'failed', position: 1 });
    expect(swapped.status.head).toBe(0);

    // Copied into another log, as stored.
    const stored = (await rawPull('fleet')).events.map(({ position: _, ...e }) => e);
    expect((await rawPush('copy', stored)).status).toBe(200);
    const copy = await replica('copy', { key });
    expect(isDecryptionError(await rejection(copy.sync.now()))).toBe(true);
    expect(copy.status.head).toBe(0);

    // Events the server (or a client without the key) adds: an app event and an undo of a real commit.
    const commit = stored[0]!['commit'] as string;
    const made = [
      { id: 'x1', type: 'added', payload: { id: 'x', title: 'forged' }, stream: 'default', clientId: 'mallory', commit: 'cx', time: 1 },
      { id: 'x2', type: '$undo', payload: { commit }, stream: 'default', clientId: 'mallory', commit: 'cy', time: 2 },
    ];
    expect((await rawPush('fleet', [made[0]])).status).toBe(200);
    expect((await rawPush('fleet', [made[1]])).status).toBe(200);
    const b = await replica('fleet', { key });
    const error = await rejection(b.sync.now());
    expect(error.details).toMatchObject({ reason: 'unsealed', eventId: 'x1' });
    // The page with them is not applied: the two events before them are not either.
    expect(b.status.head).toBe(0);
    expect(b.get('todos')).toEqual([]);
  });

  it('rotation: older events keep their key id and open with it, new ones are sealed with the current key', async () => {
    const [k1, k2] = [await aesKey(), await aesKey()];
    const name = dbName('e2e-rotate');
    const a = await replica('fleet', { keys: { k1 }, current: 'k1' }, { name });
    await a.append({ type: 'added', payload: { id: 't1', title: 'before' } });
    await a.sync.now();
    await a.close();
    const rotated = await replica('fleet', { keys: { k1, k2 }, current: 'k2' }, { name });
    await rotated.append({ type: 'added', payload: { id: 't2', title: 'after' } });
    await rotated.sync.now();
    expect((await rawPull('fleet')).events.map((e) => (e['payload'] as { key: string }).key)).toEqual(['k1', 'k2']);

    const both = await replica('fleet', { keys: { k1, k2 }, current: 'k2' });
    await both.sync.now();
    expect(titles(both)).toEqual(['before', 'after']);
    const onlyNew = await replica('fleet', { keys: { k2 }, current: 'k2' });
    expect((await rejection(onlyNew.sync.now())).details).toMatchObject({ reason: 'unknown-key', keyId: 'k1' });
  });

  it('a push whose answer was lost is sent again with the same bytes, after a reload too: nothing duplicated, nothing rejected', async () => {
    const key = await aesKey();
    const bodies: string[] = [];
    let lose = true;
    // While `lose`: every push reaches the server and its answer is lost; every pull after it fails.
    const losing: typeof fetch = async (input, init) => {
      if (init?.method !== 'POST') {
        if (lose && bodies.length > 0) throw new TypeError('offline');
        return fetch(input, init);
      }
      bodies.push(String(init.body));
      const response = await fetch(input, init);
      if (lose) throw new TypeError('the network dropped the answer');
      return response;
    };
    const name = dbName('e2e-retry');
    const a = await replica('fleet', { key }, { name, fetch: losing });
    await a.append({ type: 'added', payload: { id: 't1', title: 'once' } });
    expect((await rejection(a.sync.now())).name).toBe('SyncError');
    expect(a.status.pending).toBe(1);
    await a.close();

    lose = false;
    const again = await replica('fleet', { key }, { name, fetch: losing });
    await again.sync.now();
    expect(bodies).toHaveLength(2);
    expect(bodies[1]).toBe(bodies[0]);
    expect(again.status).toMatchObject({ pending: 0, head: 1, sync: 'idle' });
    expect(await again.sync.rejected()).toEqual([]);
    expect((await rawPull('fleet')).head).toBe(1);
  });

  it('a push whose answer was lost before a key rotation is sent again sealed as it was first: confirmed, not rejected', async () => {
    const [k1, k2] = [await aesKey(), await aesKey()];
    let lose = true;
    let pushes = 0;
    const losing: typeof fetch = async (input, init) => {
      if (init?.method !== 'POST') {
        if (lose && pushes > 0) throw new TypeError('offline');
        return fetch(input, init);
      }
      pushes++;
      const response = await fetch(input, init);
      if (lose) throw new TypeError('the network dropped the answer');
      return response;
    };
    const name = dbName('e2e-rotate-retry');
    const a = await replica('fleet', { keys: { k1 }, current: 'k1' }, { name, fetch: losing });
    await a.append({ type: 'added', payload: { id: 't1', title: 'once' } });
    await rejection(a.sync.now());
    await a.close();

    lose = false;
    const rotated = await replica('fleet', { keys: { k1, k2 }, current: 'k2' }, { name, fetch: losing });
    await rotated.sync.now();
    expect(rotated.status).toMatchObject({ pending: 0, head: 1, sync: 'idle' });
    expect(await rotated.sync.rejected()).toEqual([]);
    expect(pushes).toBe(3); // the lost one; sealed with k2, refused as conflicting; sealed with k1 again, answered
    expect((await rawPull('fleet')).events.map((e) => (e['payload'] as { key: string }).key)).toEqual(['k1']);
    await rotated.append({ type: 'added', payload: { id: 't2', title: 'new' } });
    await rotated.sync.now();
    expect((await rawPull('fleet')).events.map((e) => (e['payload'] as { key: string }).key)).toEqual(['k1', 'k2']);
  });

  it('a compacted store opened with the wrong key cannot restore history: DecryptionError, not a network error', async () => {
    const key = await aesKey();
    const name = dbName('e2e-compacted');
    const a = await replica('fleet', { key }, { name });
    for (let i = 1; i <= 12; i++) await a.append({ type: 'added', payload: { id: `t${i}`, title: `secret ${i}` } });
    await a.sync.now();
    await a.compact({ before: 10 });
    await a.close();
    const wrong = await replica('fleet', { key: await aesKey() }, { name });
    wrong.sync.pause();
    const error = await rejection(wrong.stateAt('todos', { position: 4 }));
    expect(isDecryptionError(error)).toBe(true);
    expect(error.details).toMatchObject({ reason: 'failed', position: 1 });
  });

  it('two devices with the same passphrase (deriveKey, the log id as salt) converge', async () => {
    const a = await replica('fleet-7', { key: await deriveKey('correct horse battery staple', 'fleet-7') });
    const b = await replica('fleet-7', { key: await deriveKey('correct horse battery staple', 'fleet-7') });
    await a.append({ type: 'added', payload: { id: 't1', title: 'shared' } });
    await a.sync.now();
    await b.sync.now();
    expect(titles(b)).toEqual(['shared']);
  });

  it('createStore refuses an encryption option that is not a key (TypeError), before anything is sent', async () => {
    const hmac = await crypto.subtle.generateKey({ name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    for (const encryption of [{ key: hmac }, { keys: { a: await aesKey() }, current: 'b' }, {}] as SyncEncryption[]) {
      const error = await rejection(replica('fleet', encryption));
      expect(error).toBeInstanceOf(TypeError);
      expect(error.message).toMatch(/sync\.encryption/);
    }
  });
});
