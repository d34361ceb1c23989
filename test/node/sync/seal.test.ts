import { describe, expect, it } from 'vitest';
import { isDecryptionError } from '../../../src/index.ts';
import type { WireEvent } from '../../../src/protocol/wire.ts';
import { isSeal, refuseSealed, Sealer } from '../../../src/sync/seal.ts';
import { rejection } from '../../support/rejection.ts';

const aesKey = (usages: KeyUsage[] = ['encrypt', 'decrypt']) =>
  crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, usages) as Promise<CryptoKey>;

const event = (over: Partial<WireEvent> = {}): WireEvent => ({
  id: 'e1',
  type: 'added',
  payload: { id: 't1', title: 'Buy milk' },
  stream: 'todos',
  clientId: 'client-a',
  commit: 'c1',
  time: 1_765_000_000_000.5,
  meta: { by: 'ann' },
  ...over,
});

const marker = (over: Partial<WireEvent> = {}): WireEvent => ({
  id: 'm1',
  type: '$undo',
  payload: { commit: 'c1' },
  stream: 'todos',
  clientId: 'client-a',
  commit: 'c2',
  time: 1_765_000_000_100,
  ...over,
});

describe('sealing one event (sync.encryption)', () => {
  it('an app event goes out with its payload and meta sealed, and opens to the same event', async () => {
    const sealer = new Sealer('log-1', { key: await aesKey() });
    const [sealed] = await sealer.seal([event()]);
    expect(sealed).not.toHaveProperty('meta');
    expect(sealed!.payload).toEqual({ $sealed: 1, key: 'default', data: expect.any(String) });
    expect(JSON.stringify(sealed)).not.toMatch(/milk|ann/);
    expect(await sealer.open([sealed!])).toEqual([event()]);
  });

  it('keeps an absent payload or meta absent, and keeps the envelope as it is', async () => {
    const sealer = new Sealer('log-1', { key: await aesKey() });
    const bare: WireEvent = { ...event({ schemaVersion: 3 }) };
    delete bare.meta;
    delete bare.payload;
    const [opened] = await sealer.open(await sealer.seal([bare]));
    expect(opened).toEqual(bare);
    expect(opened).not.toHaveProperty('payload');
    expect(opened).not.toHaveProperty('meta');
  });

  it('a marker keeps its readable payload (the server checks its target) and seals its meta, which authenticates it', async () => {
    const sealer = new Sealer('log-1', { key: await aesKey() });
    const [sealed, withMeta] = await sealer.seal([marker(), marker({ id: 'm2', meta: { reason: 'typo' } })]);
    expect(sealed!.payload).toEqual({ commit: 'c1' });
    expect(isSeal(sealed!.meta)).toBe(true);
    expect(JSON.stringify(withMeta)).not.toMatch(/typo/);
    // open() works in place: a copy, as the sealed ones are used again below.
    expect(await sealer.open(structuredClone([sealed!, withMeta!]))).toEqual([marker(), marker({ id: 'm2', meta: { reason: 'typo' } })]);
    // Another target under the same seal does not open.
    const moved = { ...sealed!, payload: { commit: 'c0' } };
    expect((await rejection(sealer.open([moved]))).details).toMatchObject({ reason: 'failed', eventId: 'm1' });
  });

  it('gives the same bytes for the same event every time (a retried push), and different IVs to different events', async () => {
    const key = await aesKey();
    const one = new Sealer('log-1', { key });
    const other = new Sealer('log-1', { key }); // another tab, or after a reload
    const [a] = await one.seal([event()]);
    const [again] = await other.seal([event()]);
    expect(again).toEqual(a);
    const [b, c] = await one.seal([event({ id: 'e2' }), event({ meta: { by: 'bob' } })]);
    // The IV is the first 12 bytes of data: 16 base64 characters.
    const ivs = new Set([a, b, c].map((e) => (e!.payload as { data: string }).data.slice(0, 16)));
    expect(ivs.size).toBe(3);
  });

  it.each([
    ['id', { id: 'e9' }],
    ['type', { type: 'removed' }],
    ['stream', { stream: 'other' }],
    ['commit', { commit: 'c9' }],
    ['clientId', { clientId: 'client-b' }],
    ['schemaVersion', { schemaVersion: 2 }],
    ['time', { time: 1 }],
  ] as const)('a ciphertext moved to an envelope with another %s does not open (DecryptionError)', async (_field, change) => {
    const sealer = new Sealer('log-1', { key: await aesKey() });
    const [sealed] = await sealer.seal([event()]);
    const error = await rejection(sealer.open([{ ...sealed!, ...change }]));
    expect(isDecryptionError(error)).toBe(true);
    expect(error.details).toMatchObject({ reason: 'failed', keyId: 'default' });
  });

  it('does not open in another log, with another key, or changed by one bit', async () => {
    const key = await aesKey();
    const [sealed] = await new Sealer('log-1', { key }).seal([event()]);
    const seal = sealed!.payload as { data: string };
    const flipped = (s: string) => (s[0] === 'A' ? `B${s.slice(1)}` : `A${s.slice(1)}`);
    const cases: [Sealer, WireEvent][] = [
      [new Sealer('log-2', { key }), sealed!],
      [new Sealer('log-1', { key: await aesKey() }), sealed!],
      [new Sealer('log-1', { key }), { ...sealed!, payload: { ...seal, data: flipped(seal.data) } }],
      [
        new Sealer('log-1', { key }),
        { ...sealed!, payload: { ...seal, data: `${seal.data.slice(0, 20)}${flipped(seal.data.slice(20))}` } },
      ],
      [new Sealer('log-1', { key }), { ...sealed!, payload: { ...seal, data: 'AAAA' } }], // shorter than an IV and a tag
      [new Sealer('log-1', { key }), { ...sealed!, payload: { ...seal, data: '%%% not base64' } }],
    ];
    for (const [sealer, e] of cases) {
      expect((await rejection(sealer.open([e]))).details).toMatchObject({ reason: 'failed' });
    }
  });

  it('refuses what was not sealed, or a sealed event given a meta by the server', async () => {
    const sealer = new Sealer('log-1', { key: await aesKey() });
    const [sealed] = await sealer.seal([event()]);
    for (const e of [event(), marker(), { ...sealed!, meta: { injected: true } }]) {
      const error = await rejection(sealer.open([e]));
      expect(error.name).toBe('DecryptionError');
      expect(error.details).toMatchObject({ reason: 'unsealed' });
    }
  });

  it('adds what docs/protocol.md says to an event on the wire: about a third plus at most 100 bytes', async () => {
    const sealer = new Sealer('log-1', { key: await aesKey() });
    for (const title of ['', 'x'.repeat(100), 'x'.repeat(10_000)]) {
      const plain = event({ payload: { id: 't1', title } });
      const [sealed] = await sealer.seal([plain]);
      const size = (e: WireEvent) => JSON.stringify(e).length;
      const content = JSON.stringify({ payload: plain.payload, meta: plain.meta }).length;
      expect(size(sealed!)).toBeLessThanOrEqual(size(plain) + Math.ceil(content / 3) + 100);
    }
  });

  it('binds the key id too: a seal relabelled with another id of the same key does not open', async () => {
    const key = await aesKey();
    const sealer = new Sealer('log-1', { keys: { a: key, b: key }, current: 'a' });
    const [sealed] = await sealer.seal([event()]);
    const relabelled = { ...sealed!, payload: { ...(sealed!.payload as object), key: 'b' } };
    expect((await rejection(sealer.open([relabelled]))).details).toMatchObject({ reason: 'failed', keyId: 'b' });
  });

  it('refuses opened content the server would have refused in the clear: a meta that is not an object, a payload too deep', async () => {
    const sealer = new Sealer('log-1', { key: await aesKey() });
    let deep: unknown = 'bottom';
    for (let i = 0; i < 70; i++) deep = [deep];
    for (const bad of [event({ meta: ['not', 'an', 'object'] as unknown as Record<string, unknown> }), event({ payload: deep })]) {
      const [sealed] = await sealer.seal([bad]);
      expect((await rejection(sealer.open([sealed!]))).details).toMatchObject({ reason: 'failed', eventId: 'e1' });
    }
  });

  it('opens older events with the key they name and seals new ones with the current key (rotation)', async () => {
    const [k1, k2] = [await aesKey(), await aesKey()];
    const [old] = await new Sealer('log-1', { keys: { k1 }, current: 'k1' }).seal([event()]);
    const both = new Sealer('log-1', { keys: { k1, k2 }, current: 'k2' });
    const [fresh] = await both.seal([event({ id: 'e2' })]);
    expect((fresh!.payload as { key: string }).key).toBe('k2');
    expect(await both.open(structuredClone([old!, fresh!]))).toEqual([event(), event({ id: 'e2' })]);
    const error = await rejection(new Sealer('log-1', { keys: { k2 }, current: 'k2' }).open([old!]));
    expect(error.details).toMatchObject({ reason: 'unknown-key', keyId: 'k1' });
    // A key kept only to open old events need not encrypt.
    const decryptOnly = await aesKey(['decrypt']);
    expect(() => new Sealer('log-1', { keys: { old: decryptOnly, k2 }, current: 'k2' })).not.toThrow();
  });

  it('a replica without encryption refuses sealed events with DecryptionError (reason no-key)', async () => {
    const sealer = new Sealer('log-1', { key: await aesKey() });
    const [app, undo] = await sealer.seal([event(), marker()]);
    for (const e of [app!, undo!]) {
      let error: unknown;
      try {
        refuseSealed([event({ id: 'plain' }), e]);
      } catch (thrown) {
        error = thrown;
      }
      expect(isDecryptionError(error)).toBe(true);
      expect((error as { details: object }).details).toMatchObject({ reason: 'no-key', eventId: e.id, keyId: 'default' });
    }
    expect(() => refuseSealed([event(), marker()])).not.toThrow();
    // Only the exact shape of a seal is one: an app's data that merely resembles it is not refused.
    const lookalikes = [
      { $sealed: 1, key: 'k' },
      { $sealed: 1, key: 'k', data: 'd', more: true },
      { $sealed: '1', key: 'k', data: 'd' },
    ];
    expect(() => refuseSealed(lookalikes.map((payload, i) => event({ id: `l${i}`, payload })))).not.toThrow();
    expect(lookalikes.some(isSeal)).toBe(false);
  });

  it('refuses options that are not AES-GCM keys by id with a current one that encrypts (TypeError)', async () => {
    const key = await aesKey();
    const hmac = await crypto.subtle.generateKey({ name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    const bad: [unknown, RegExp][] = [
      [undefined, /must be an object/],
      [{}, /has no key/],
      [{ key: 'secret' }, /not an AES-GCM CryptoKey/],
      [{ key: hmac }, /not an AES-GCM CryptoKey/],
      [{ keys: {}, current: 'a' }, /has no key/],
      [{ keys: { a: key }, current: 'b' }, /current "b", which is not one of its keys/],
      [{ keys: { 'a b': key }, current: 'a b' }, /key id "a b"/],
      [{ keys: { a: await aesKey(['decrypt']) }, current: 'a' }, /cannot encrypt/],
      [{ keys: { a: key, b: await aesKey(['encrypt']) }, current: 'a' }, /"b" that cannot decrypt/],
      [{ key, keys: { a: key }, current: 'a' }, /both key and keys/],
    ];
    for (const [option, message] of bad) {
      expect(() => new Sealer('log-1', option)).toThrow(TypeError);
      expect(() => new Sealer('log-1', option)).toThrow(message);
    }
  });
});
