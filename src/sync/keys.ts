/** createStore's `sync.encryption` checked (./seal.ts): the keys by id and the one that seals. */

const KEY_ID = /^[A-Za-z0-9._:-]{1,64}$/;

export interface EncryptionKeys {
  keys: Map<string, CryptoKey>;
  /** The id of the key that seals new events. */
  current: string;
}

/** `{ key }` or `{ keys, current }` with AES-GCM keys (the current one able to encrypt); else a TypeError. */
export function encryptionKeys(option: unknown): EncryptionKeys {
  function fail(why: string): never {
    throw new TypeError(
      `createStore: sync.encryption ${why}; it is { key: CryptoKey } or { keys: { [id]: CryptoKey }, current: id } with AES-GCM keys (deriveKey() makes one)`,
    );
  }
  if (typeof option !== 'object' || option === null) return fail('must be an object');
  const o = option as { key?: unknown; keys?: unknown; current?: unknown };
  if ('key' in o && ('keys' in o || 'current' in o)) fail('has both key and keys/current');
  const entries: [string, unknown][] =
    'key' in o ? [['default', o.key]] : typeof o.keys === 'object' && o.keys !== null ? Object.entries(o.keys) : fail('has no key');
  const current = 'key' in o ? 'default' : o.current;
  if (entries.length === 0) fail('has no key');
  const keys = new Map<string, CryptoKey>();
  for (const [id, key] of entries) {
    if (!KEY_ID.test(id)) fail(`has a key id "${id}" that is not 1..64 of [A-Za-z0-9._:-]`);
    if (!isAesGcmKey(key)) fail(`has a key "${id}" that is not an AES-GCM CryptoKey`);
    if (!key.usages.includes('decrypt')) fail(`has a key "${id}" that cannot decrypt`);
    keys.set(id, key);
  }
  if (typeof current !== 'string' || !keys.has(current)) return fail(`names current "${String(current)}", which is not one of its keys`);
  if (!keys.get(current)!.usages.includes('encrypt')) fail(`names current "${current}", a key that cannot encrypt`);
  return { keys, current };
}

/** Duck-typed, not `instanceof`: a key made in another realm (the page, for a worker) is one too. */
function isAesGcmKey(key: unknown): key is CryptoKey {
  const k = key as CryptoKey | null;
  return typeof k === 'object' && k !== null && k.type === 'secret' && k.algorithm?.name === 'AES-GCM' && Array.isArray(k.usages);
}
