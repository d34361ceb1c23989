// deriveKey() (src/client/deriveKey.ts): a non-extractable AES-GCM-256 key from a passphrase and a salt, the same on every device.
import { describe, expect, it } from 'vitest';
import { deriveKey } from '../../../src/index.ts';
import { PBKDF2_ITERATIONS } from '../../../src/client/deriveKey.ts';
import { rejection } from '../../support/rejection.ts';

const iv = new Uint8Array(12).fill(7);
const seal = (key: CryptoKey, text: string) => crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, new TextEncoder().encode(text));
const open = async (key: CryptoKey, data: ArrayBuffer) =>
  new TextDecoder().decode(await crypto.subtle.decrypt({ name: 'AES-GCM', iv }, key, data));

describe('deriveKey()', () => {
  it('gives the same key for the same passphrase and salt: one device reads what another sealed', async () => {
    const [a, b] = await Promise.all([
      deriveKey('correct horse battery staple', 'fleet'),
      deriveKey('correct horse battery staple', 'fleet'),
    ]);
    expect(await open(b, await seal(a, 'secret payload'))).toBe('secret payload');
  });

  it('gives another key for another salt or passphrase: what one sealed, the other cannot open', async () => {
    const key = await deriveKey('correct horse battery staple', 'fleet');
    const sealed = await seal(key, 'secret payload');
    for (const other of [
      await deriveKey('correct horse battery staple', 'other-log'),
      await deriveKey('Correct horse battery staple', 'fleet'),
    ]) {
      expect((await rejection(() => open(other, sealed))) as Error).toBeInstanceOf(Error);
    }
  });

  it('makes a non-extractable AES-GCM-256 key for encrypt and decrypt only, at the current work factor', async () => {
    const key = await deriveKey('pass', 'log');
    expect(key.extractable).toBe(false);
    expect(key.algorithm).toEqual({ name: 'AES-GCM', length: 256 });
    expect([...key.usages].sort()).toEqual(['decrypt', 'encrypt']);
    expect(PBKDF2_ITERATIONS).toBeGreaterThanOrEqual(600_000);
    expect((await rejection(() => crypto.subtle.exportKey('raw', key))) as Error).toBeInstanceOf(Error);
  });

  it('refuses an empty passphrase or salt with a TypeError', async () => {
    for (const [passphrase, salt] of [
      ['', 'log'],
      ['pass', ''],
      [undefined, 'log'],
    ] as [string, string][]) {
      expect(await rejection(() => deriveKey(passphrase, salt))).toBeInstanceOf(TypeError);
    }
  });
});
