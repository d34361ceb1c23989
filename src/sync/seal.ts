/**
 * End-to-end encryption of the events a store syncs (DESIGN "End-to-end encryption",
 * docs/encryption.md): the payload and meta of each app event leave the device sealed with
 * AES-GCM, and come back opened, before anything else sees them. The transport (./http.ts)
 * seals what it pushes and opens what it pulls, so the push, the pull, the live stream and
 * compaction restores all go through here.
 *
 * On the wire (docs/protocol.md), a sealed app event has no `meta`, and its `payload` is
 *   { "$sealed": 1, "key": keyId, "iv": base64, "data": base64 }
 * where `data` is AES-GCM-256's ciphertext and tag of the UTF-8 JSON `{ payload?, meta? }`.
 * A marker ($undo/$redo) keeps its readable payload (`{ commit }`, which the server checks)
 * and carries the seal in `meta` (its plaintext `{ meta? }`): the server cannot make up an
 * undo either. The additional authenticated data is the envelope (AAD below): a ciphertext
 * moved to another event, log, type, stream, commit, client, schema version or time does not
 * open.
 *
 * The IV is synthetic: the first 12 bytes of HMAC-SHA-256 over the AAD and the plaintext,
 * under a MAC key derived from the AES key (macKey below). Two different events never share
 * an IV (their ids differ, and so do their AADs), while one event sealed again (a retried
 * push, from another tab or after a reload) gives the same bytes, which the server's
 * idempotency needs: a push of a known id with other content is a 409.
 */
import { DecryptionError } from '../core/errors/index.ts';
import type { WireEvent } from '../protocol/wire.ts';

/** A sealed payload (app events) or meta (markers) on the wire. */
export interface Seal {
  $sealed: 1;
  key: string;
  iv: string;
  data: string;
}

const KEY_ID = /^[A-Za-z0-9._:-]{1,64}$/;
const AAD_VERSION = 'eventloom.sealed.v1';
/** The IV of the one encryption that derives a key's MAC key (12 bytes; never an event's IV but by a 2^-96 chance). */
const MAC_IV = new TextEncoder().encode('eventloom.iv');

/** Checks createStore's `sync.encryption` and gives it as keys by id and the id that seals; throws TypeError. */
function encryptionKeys(option: unknown): { keys: Map<string, CryptoKey>; current: string } {
  function fail(why: string): never {
    throw new TypeError(
      `createStore: sync.encryption ${why}; it is { key: CryptoKey } or { keys: { [id]: CryptoKey }, current: id } with AES-GCM keys (deriveKey() makes one)`,
    );
  }
  if (typeof option !== 'object' || option === null) return fail('must be an object');
  const o = option as { key?: unknown; keys?: unknown; current?: unknown };
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

function isAesGcmKey(key: unknown): key is CryptoKey {
  const k = key as CryptoKey | null;
  return typeof k === 'object' && k !== null && k.type === 'secret' && k.algorithm?.name === 'AES-GCM' && Array.isArray(k.usages);
}

/** Whether a wire value is a seal (what a replica without the key cannot read). */
export function isSeal(value: unknown): value is Seal {
  return typeof value === 'object' && value !== null && (value as { $sealed?: unknown }).$sealed === 1;
}

const isMarker = (type: string) => type === '$undo' || type === '$redo';

/** Seals and opens the events of one log with its keys. */
export class Sealer {
  readonly #logId: string;
  readonly #keys: Map<string, CryptoKey>;
  readonly #current: string;
  #macKey: Promise<CryptoKey> | undefined;
  readonly #text = new TextEncoder();
  readonly #utf8 = new TextDecoder('utf-8', { fatal: true });

  constructor(logId: string, option: unknown) {
    this.#logId = logId;
    ({ keys: this.#keys, current: this.#current } = encryptionKeys(option));
  }

  /** The events as they go on the wire: each app event's payload and meta sealed, each marker's meta. */
  seal<E extends WireEvent>(events: readonly E[]): Promise<E[]> {
    return Promise.all(events.map((e) => this.#sealOne(e)));
  }

  /** The events as the server sent them, opened; a DecryptionError if any one does not open (none is given then). */
  open<E extends WireEvent>(events: readonly E[]): Promise<E[]> {
    return Promise.all(events.map((e) => this.#openOne(e)));
  }

  async #sealOne<E extends WireEvent>(e: E): Promise<E> {
    const marker = isMarker(e.type);
    const plain = this.#text.encode(JSON.stringify(marker ? { meta: e.meta } : { payload: e.payload, meta: e.meta }));
    const aad = this.#aad(e);
    const key = this.#keys.get(this.#current)!;
    const iv = await this.#iv(aad, plain);
    const data = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: aad }, key, plain));
    const seal: Seal = { $sealed: 1, key: this.#current, iv: toBase64(iv), data: toBase64(data) };
    const { meta: _, ...rest } = e;
    return (marker ? { ...rest, meta: seal } : { ...rest, payload: seal }) as E;
  }

  async #openOne<E extends WireEvent>(e: E): Promise<E> {
    const marker = isMarker(e.type);
    const seal = marker ? e.meta : e.payload;
    if (!isSeal(seal) || (!marker && e.meta !== undefined)) {
      throw failure(
        e,
        'unsealed',
        `Event ${e.id} (${e.type}) came from the sync server unencrypted: with sync.encryption, every event must be sealed by a replica holding the key`,
      );
    }
    const key = typeof seal.key === 'string' ? this.#keys.get(seal.key) : undefined;
    if (!key) {
      throw failure(
        e,
        'unknown-key',
        `Event ${e.id} is sealed with key "${String(seal.key)}", which this replica does not have (its keys: ${[...this.#keys.keys()].join(', ')})`,
        seal.key,
      );
    }
    let content: { payload?: unknown; meta?: unknown };
    try {
      const iv = fromBase64(seal.iv);
      const plain = await crypto.subtle.decrypt({ name: 'AES-GCM', iv, additionalData: this.#aad(e) }, key, fromBase64(seal.data));
      content = JSON.parse(this.#utf8.decode(plain)) as typeof content;
    } catch (cause) {
      throw failure(
        e,
        'failed',
        `Event ${e.id} does not open with key "${seal.key}": the wrong key for it, or its ciphertext or envelope was changed`,
        seal.key,
        cause,
      );
    }
    const meta = content?.meta;
    if (typeof content !== 'object' || content === null || (meta !== undefined && (typeof meta !== 'object' || meta === null))) {
      throw failure(e, 'failed', `Event ${e.id} opened to content that is not an event's`, seal.key);
    }
    const { meta: _, payload, ...rest } = e;
    const opened = { ...rest, ...(marker ? { payload } : 'payload' in content ? { payload: content.payload } : {}) } as E;
    if (meta !== undefined) opened.meta = meta as Record<string, unknown>;
    return opened;
  }

  /** The envelope, authenticated with the content: what the server sees and must not change. */
  #aad(e: WireEvent): Uint8Array<ArrayBuffer> {
    const envelope = [AAD_VERSION, this.#logId, e.id, e.type, e.stream, e.commit, e.clientId, e.schemaVersion ?? 1, e.time];
    if (isMarker(e.type)) envelope.push(JSON.stringify(e.payload));
    return this.#text.encode(JSON.stringify(envelope));
  }

  /** The synthetic IV: HMAC-SHA-256(macKey, aad ‖ 0 ‖ plaintext), its first 12 bytes. */
  async #iv(aad: Uint8Array, plain: Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
    const input = new Uint8Array(aad.length + 1 + plain.length);
    input.set(aad);
    input.set(plain, aad.length + 1);
    const mac = await crypto.subtle.sign('HMAC', await this.#mac(), input);
    return new Uint8Array(mac, 0, 12);
  }

  /**
   * The current key's MAC key: AES-GCM of 32 zero bytes under MAC_IV (its first 32 bytes are
   * AES-CTR keystream, a pseudo-random function of the key that is never sent), imported as a
   * non-extractable HMAC key. The AES key itself stays non-extractable.
   */
  #mac(): Promise<CryptoKey> {
    this.#macKey ??= (async () => {
      const key = this.#keys.get(this.#current)!;
      const block = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv: MAC_IV }, key, new Uint8Array(32)), 0, 32);
      const mac = await crypto.subtle.importKey('raw', block, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
      block.fill(0);
      return mac;
    })();
    return this.#macKey;
  }
}

/** For a replica without `encryption`: a sealed event is one it cannot read. */
export function refuseSealed(events: readonly WireEvent[]): void {
  for (const e of events) {
    if (isSeal(e.payload) || isSeal(e.meta)) {
      const key = isSeal(e.payload) ? e.payload.key : (e.meta as unknown as Seal).key;
      throw failure(
        e,
        'no-key',
        `Event ${e.id} is encrypted (key "${String(key)}"), and this replica has no sync.encryption to open it`,
        key,
      );
    }
  }
}

function failure(e: WireEvent, reason: string, message: string, keyId?: unknown, cause?: unknown): DecryptionError {
  const position = (e as { position?: number }).position;
  return new DecryptionError(`${message}. Nothing of this page was applied.`, {
    cause,
    details: { eventId: e.id, reason, ...(position === undefined ? {} : { position }), ...(typeof keyId === 'string' ? { keyId } : {}) },
  });
}

type Base64Array = { toBase64?: () => string };
type Base64Ctor = { fromBase64?: (s: string) => Uint8Array<ArrayBuffer> };

/** Standard base64 (Uint8Array's own where the engine has it: Chromium 140+, Firefox 133+, Safari 18.2+). */
function toBase64(bytes: Uint8Array): string {
  const native = (bytes as Base64Array).toBase64;
  if (native) return native.call(bytes);
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

function fromBase64(text: unknown): Uint8Array<ArrayBuffer> {
  if (typeof text !== 'string') throw new TypeError('not base64');
  const native = (Uint8Array as Base64Ctor).fromBase64;
  if (native) return native(text);
  const s = atob(text);
  const bytes = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) bytes[i] = s.charCodeAt(i);
  return bytes;
}
