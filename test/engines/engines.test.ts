/**
 * The browsers users have: the same tests in Chromium, Firefox (ESR) and WebKit (WebKitGTK,
 * Safari's engine), each a real browser with a real profile (test/engines/drivers.ts). The
 * functions passed to `tab.run` execute in the page (test/engines/page/main.ts puts the toolkit
 * on `window.eventloom`); everything is asserted here, in Node.
 */
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { serveDemo, startServer, type Served, type SyncServer } from '../e2e/harness.ts';
import { ENGINES, launch, type Engine, type Tab } from './drivers.ts';
import type {} from './page/main.ts';
import { demo } from './demo.ts';

const TEST_TIMEOUT = 180_000;

let page: Served;
beforeAll(async () => {
  page = await serveDemo(inject('enginesPageDir'));
});
afterAll(() => page?.close());

describe.each(ENGINES)('in %s', (name) => {
  let engine: Engine;
  const cleanups: (() => Promise<unknown>)[] = [];
  let n = 0;
  /** A database name of its own for each test (the profile lives for the whole file). */
  const db = (label: string) => `${name}-${label}-${++n}-${Date.now()}`;

  beforeAll(async () => {
    engine = await launch(name);
    console.log(`[engines] ${name}: ${engine.version}`);
  }, TEST_TIMEOUT);
  afterAll(() => engine?.close());
  afterEach(async () => {
    const failures: unknown[] = [];
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch((error: unknown) => failures.push(error));
    if (failures.length > 0) throw failures[0];
  });

  /** A new tab on the test page; its stores and itself are closed after the test. */
  async function tab(): Promise<Tab> {
    const t = await engine.newTab();
    cleanups.push(async () => {
      // The demo's page has no window.eventloom.
      const errors = await t.run(async () => {
        await window.eventloom?.closeAll();
        return window.eventloom?.errors ?? [];
      });
      await t.close();
      expect(errors, `uncaught errors in a ${name} tab`).toEqual([]);
    });
    await t.goto(`${page.url}/index.html`);
    return t;
  }

  async function server(): Promise<SyncServer> {
    const s = await startServer();
    cleanups.push(() => s.close());
    return s;
  }

  it(
    'worker mode: state after an append, errors across the worker by name with nothing stored, undo, redo, time travel',
    async () => {
      const t = await tab();
      const result = await t.run(async (name: string) => {
        const { open, isInvalidEventError, isConcurrencyError } = window.eventloom;
        const store = await open('a', { name });
        const seen = new Promise((resolve) => {
          const off = store.subscribe<unknown[]>('todos', (list) => {
            if (list.length !== 1) return;
            off();
            resolve(list);
          });
        });
        const [added] = await store.append({ type: 'added', payload: { id: 'a', title: 'Buy milk' }, stream: 'list' });
        const subscribed = await seen;
        await store.append({ type: 'toggled', payload: { id: 'a' } });
        const refused = (guard: (e: unknown) => boolean) => (e: unknown) => ({
          guard: guard(e),
          name: (e as Error).name,
          details: (e as { details?: unknown }).details,
        });
        const invalid = await store.append({ type: '', payload: {} }).then(() => 'stored', refused(isInvalidEventError));
        const conflict = await store
          .append({ type: 'added', payload: { id: 'b' }, stream: 'list' }, { expectedVersion: 0 })
          .then(() => 'stored', refused(isConcurrencyError));
        const headAfterErrors = store.status.head;
        await store.undo();
        const undone = store.get('todos');
        await store.redo();
        const redone = store.get('todos');
        const atOne = await store.stateAt('todos', { position: 1 });
        // Where the engine has no StorageManager (WebKitGTK's MiniBrowser), status.storage is absent.
        const estimates = typeof navigator.storage?.estimate === 'function';
        return { added, subscribed, invalid, conflict, headAfterErrors, undone, redone, atOne, status: store.status, estimates };
      }, db('worker'));
      expect(result.added).toMatchObject({ position: 1, stream: 'list', pending: false });
      expect(result.subscribed).toEqual([{ id: 'a', title: 'Buy milk', done: false }]);
      expect(result.invalid).toMatchObject({ guard: true, name: 'InvalidEventError' });
      expect(result.conflict).toMatchObject({
        guard: true,
        name: 'ConcurrencyError',
        details: { stream: 'list', expectedVersion: 0, actualVersion: 1 },
      });
      expect(result.headAfterErrors).toBe(2); // neither refused append stored anything
      expect(result.undone).toEqual([{ id: 'a', title: 'Buy milk', done: false }]);
      expect(result.redone).toEqual([{ id: 'a', title: 'Buy milk', done: true }]);
      expect(result.atOne).toEqual([{ id: 'a', title: 'Buy milk', done: false }]);
      expect(result.status).toMatchObject({ head: 4, canUndo: true, canRedo: false, sync: 'off' });
      if (result.estimates) expect(result.status.storage).toMatchObject({ usage: expect.any(Number), quota: expect.any(Number) });
      else expect(result.status.storage).toBeUndefined();
    },
    TEST_TIMEOUT,
  );

  it(
    'keeps the log, the state, the client id and the undo history across a reload',
    async () => {
      const t = await tab();
      const name = db('reload');
      const before = await t.run(async (name: string) => {
        const store = await window.eventloom.open('a', { name });
        await store.append([
          { type: 'added', payload: { id: 'a', title: 'A' } },
          { type: 'added', payload: { id: 'b', title: 'B' } },
        ]);
        await store.append({ type: 'toggled', payload: { id: 'b' } });
        return { clientId: store.clientId, todos: store.get('todos'), events: (await store.events()).map((e) => e.id) };
      }, name);
      await t.reload();
      const after = await t.run(async (name: string) => {
        const store = await window.eventloom.open('a', { name });
        const kept = { clientId: store.clientId, todos: store.get('todos'), events: (await store.events()).map((e) => e.id) };
        await store.undo();
        return { ...kept, undone: store.get('todos'), status: store.status };
      }, name);
      expect(before.events).toHaveLength(3);
      expect(after).toMatchObject(before);
      expect(after.undone).toEqual([
        { id: 'a', title: 'A', done: false },
        { id: 'b', title: 'B', done: false },
      ]);
      expect(after.status).toMatchObject({ head: 4, canUndo: true, canRedo: true });
    },
    TEST_TIMEOUT,
  );

  it(
    "two tabs on one database see each other's changes without a reload",
    async () => {
      const [one, two] = [await tab(), await tab()];
      const name = db('tabs');
      for (const t of [one, two]) await t.run((name: string) => window.eventloom.open('tab', { name }).then(() => undefined), name);
      const append = (id: string) =>
        window.eventloom
          .store('tab')
          .append({ type: 'added', payload: { id, title: id } })
          .then(() => undefined);
      // A tab waits (a promise kept in its page) for what the other appends.
      await two.run((length: number) => window.eventloom.waitForTodos('tab', length), 1);
      await one.run(append, 'from-one');
      expect(await two.run(() => window.eventloom.collect('tab'))).toEqual(['from-one']);
      await one.run((length: number) => window.eventloom.waitForTodos('tab', length), 2);
      await two.run(append, 'from-two');
      expect(await one.run(() => window.eventloom.collect('tab'))).toEqual(['from-one', 'from-two']);
    },
    TEST_TIMEOUT,
  );

  it(
    'sync: two tabs of one device and another device converge through the server, changes arriving by the live stream',
    async () => {
      const sync = await server();
      const logId = db('log');
      const device = db('device');
      const [one, two, other] = [await tab(), await tab(), await tab()];
      const open = ({ name, url, logId }: { name: string; url: string; logId: string }) =>
        window.eventloom.open('s', { name, sync: { url, logId, live: true } }).then(() => undefined);
      await one.run(open, { name: device, url: sync.url, logId });
      await two.run(open, { name: device, url: sync.url, logId });
      await other.run(open, { name: db('other'), url: sync.url, logId });
      const append = async (id: string) => {
        const store = window.eventloom.store('s');
        await store.append({ type: 'added', payload: { id, title: id } });
        await store.sync.now();
      };
      // The waiting side never asks the server: with `live`, a store pulls on its own only once
      // a minute, so what arrives within the 10 s wait came by the live stream. (In Firefox the
      // second replica's live request once waited 20 s on the first one's, same URL, in the HTTP
      // cache; requests now go with `cache: 'no-store'`.)
      const wait = (length: number) => window.eventloom.waitForTodos('s', length, 10_000);
      await other.run(wait, 1);
      await two.run(append, 'tab-two');
      expect(await other.run(() => window.eventloom.collect('s'))).toEqual(['tab-two']);
      await one.run(wait, 2);
      await other.run(append, 'other');
      expect(await one.run(() => window.eventloom.collect('s'))).toEqual(['tab-two', 'other']);
      const seen = [];
      for (const t of [one, two, other]) {
        seen.push(
          await t.run(async () => {
            const store = window.eventloom.store('s');
            const ids = (await store.events()).map((e) => e.id);
            return { pending: store.status.pending, head: store.status.head, ids };
          }),
        );
      }
      expect(seen[0]!.ids).toHaveLength(2);
      for (const s of seen) expect(s).toEqual({ pending: 0, head: 2, ids: seen[0]!.ids });
    },
    TEST_TIMEOUT,
  );

  it(
    "end-to-end encryption: two devices with one passphrase read each other's changes, the server holds ciphertext, a wrong passphrase is a DecryptionError",
    async () => {
      const sync = await server();
      const logId = db('sealed');
      const [a, b, wrong] = [await tab(), await tab(), await tab()];
      const open = async ({ name, url, logId, passphrase }: { name: string; url: string; logId: string; passphrase: string }) => {
        const key = await window.eventloom.deriveKey(passphrase, logId); // PBKDF2, then AES-GCM in this engine's WebCrypto
        await window.eventloom.open('e', { name, sync: { url, logId, live: true, encryption: { key } } });
      };
      await a.run(open, { name: db('a'), url: sync.url, logId, passphrase: 'correct horse' });
      await b.run(open, { name: db('b'), url: sync.url, logId, passphrase: 'correct horse' });
      await b.run((length: number) => window.eventloom.waitForTodos('e', length, 10_000), 1);
      await a.run(async () => {
        const store = window.eventloom.store('e');
        await store.append({ type: 'added', payload: { id: 'secret', title: 'the launch codes' }, meta: { note: 'private note' } });
        await store.sync.now();
      });
      expect(await b.run(() => window.eventloom.collect('e'))).toEqual(['secret']);
      const opened = await b.run(async () => (await window.eventloom.store('e').events())[0]);
      expect(opened).toMatchObject({ payload: { id: 'secret', title: 'the launch codes' }, meta: { note: 'private note' } });

      const raw = await (await fetch(`${sync.url}/v1/logs/${encodeURIComponent(logId)}/events?after=0`)).text();
      expect(raw).not.toContain('launch codes');
      expect(raw).not.toContain('private note');
      expect(JSON.parse(raw).events[0].payload).toMatchObject({ $sealed: 1, key: 'default' });

      const refused = await wrong.run(
        async ({ name, url, logId }: { name: string; url: string; logId: string }) => {
          const key = await window.eventloom.deriveKey('wrong horse', logId);
          const store = await window.eventloom.open('e', { name, sync: { url, logId, encryption: { key } } });
          const error = await store.sync.now().then(
            () => undefined,
            (e: unknown) => e as { name: string; details?: { reason?: string } },
          );
          return {
            name: error?.name,
            reason: error?.details?.reason,
            guard: window.eventloom.isDecryptionError(error),
            head: store.status.head,
          };
        },
        { name: db('wrong'), url: sync.url, logId },
      );
      expect(refused).toEqual({ name: 'DecryptionError', reason: 'failed', guard: true, head: 0 });
    },
    TEST_TIMEOUT,
  );

  it(
    'the demo: served by its service worker and its data by IndexedDB with both servers gone, then syncs what was done offline',
    async () => {
      const app = await serveDemo(inject('demoDir'));
      cleanups.push(() => app.close());
      const sync = await server();
      const t = await tab();
      await demo.check(t, app, sync, db('fleet'));
    },
    TEST_TIMEOUT,
  );
});
