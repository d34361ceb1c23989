/**
 * End-to-end encryption of the events a store syncs (docs/encryption.md): the payload and
 * meta of each app event leave the device sealed with AES-GCM, and come back opened, before
 * anything else sees them. The transport (./http.ts)
 * seals what it pushes and opens what it pulls, so the push, the pull, the live stream and
 * compaction restores all go through here.
 *
 * On the wire (docs/protocol.md), a sealed app event has no `meta`, and its `payload` is
 *   { "$sealed": 1, "key": keyId, "data": base64 }
 * where `data` is the 12-byte IV, then AES-GCM-256's ciphertext and tag, of the UTF-8 JSON
 * `{ payload?, meta? }`.
 * A marker ($undo/$redo) keeps its readable payload (`{ commit }`, which the server checks)
 * and carries the seal in `meta` (its plaintext `{ meta? }`): the server cannot make up an
 * undo either. The additional authenticated data is the envelope (#aad): a ciphertext moved
 * to another event, log, key id, type, stream, commit, client, schema version or time does
 * not open.
 *
 * The IV is synthetic: the first 12 bytes of HMAC-SHA-256 over the AAD and the plaintext,
 * under a MAC key derived from the AES key (#mac). Two different events get unrelated IVs
 * (their ids, so their AADs, differ: a collision is a 96-bit birthday event, about 2^-33
 * after 2^32 events under one key), while one event sealed again (a retried push, from
 * another tab or after a reload) gives the same bytes, which the server's idempotency needs:
 * a push of a known id with other content is a 409.
 */
import { DecryptionError } from '../core/errors/index.ts';
import { deeperThan, MAX_DEPTH } from '../core/limits.ts';
import type { WireEvent } from '../protocol/wire.ts';
import { fromBase64, toBase64 } from './base64.ts';
import { encryptionKeys } from './keys.ts';

/** A sealed payload (app events) or meta (markers) on the wire. */
export interface Seal {
  $sealed: 1;
  key: string;
  /** The IV, the ciphertext and the tag, in standard base64. */
  data: string;
}

const AAD_VERSION = 'eventloom.sealed.v1';
const IV_BYTES = 12;
/** The IV of the one encryption that derives a key's MAC key (12 bytes; never an event's IV but by a 2^-96 chance). */
const MAC_IV = new TextEncoder().encode('eventloom.iv');

const isMarker = (type: string) => type === '$undo' || type === '$redo';
/** A string of the additional data (#aad). */
const field = (text: string) => `${text.length}:${text}`;

/**
 * Whether a wire value is a seal (what a replica without the key cannot read): exactly the
 * three fields, `$sealed: 1` and two strings. append() refuses a payload or meta with a
 * `$sealed` member (core/event.ts), so an app's own data is not taken for one.
 */
export function isSeal(value: unknown): value is Seal {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return v['$sealed'] === 1 && typeof v['key'] === 'string' && typeof v['data'] === 'string' && Object.keys(v).length === 3;
}

/** A seal's two strings, without isSeal's count of its members (a seal with more does not open anyway: they are not authenticated, nor used). */
function looksSealed(value: unknown): value is Seal {
  const v = value as Partial<Seal> | null;
  return typeof v === 'object' && v !== null && v.$sealed === 1 && typeof v.key === 'string' && typeof v.data === 'string';
}

/** Seals and opens the events of one log with its keys. */
export class Sealer {
  readonly #logId: string;
  readonly #keys: Map<string, CryptoKey>;
  readonly #current: string;
  /** Per key id that sealed something, its MAC key (#mac). */
  readonly #macKeys = new Map<string, Promise<CryptoKey>>();
  /** Per key id, the start of its additional data (#aad). */
  readonly #prefixes = new Map<string, string>();
  readonly #text = new TextEncoder();
  readonly #utf8 = new TextDecoder('utf-8', { fatal: true });

  /** Checks `option` (createStore's `sync.encryption`): a TypeError if it is not keys. */
  constructor(logId: string, option: unknown) {
    this.#logId = logId;
    ({ keys: this.#keys, current: this.#current } = encryptionKeys(option));
  }

  /** Derives the current key's MAC key now: a key that cannot seal fails at createStore (TypeError), not at a push. */
  async ready(): Promise<void> {
    try {
      await this.#mac(this.#current);
    } catch (cause) {
      throw new TypeError(`createStore: sync.encryption's current key "${this.#current}" cannot encrypt with AES-GCM`, { cause });
    }
  }

  /**
   * The events as they go on the wire: each app event's payload and meta sealed, each marker's
   * meta; with the current key, or with `keyId` (one of formerKeys: see HttpTransport.push).
   */
  seal<E extends WireEvent>(events: readonly E[], keyId = this.#current): Promise<E[]> {
    return Promise.all(events.map((e) => this.#sealOne(e, keyId)));
  }

  /** The ids of the other keys that can seal, the last listed first. */
  get formerKeys(): string[] {
    const ids = [...this.#keys].filter(([id, key]) => id !== this.#current && key.usages.includes('encrypt')).map(([id]) => id);
    return ids.reverse();
  }

  /**
   * The events as the server sent them, opened in place (the transport's own copies, just
   * parsed: no copy is made); a DecryptionError if any one does not open (then none is given).
   * In three passes, for a page's worth of events at a time: the seals are checked and read,
   * every decryption is started, then each result is read into its event.
   */
  async open<E extends WireEvent>(events: readonly E[]): Promise<E[]> {
    const sealed = events.map((e) => this.#read(e));
    const plains = await Promise.allSettled(
      sealed.map(({ key, keyId, data }, i) => {
        const iv = data.subarray(0, IV_BYTES);
        return crypto.subtle.decrypt({ name: 'AES-GCM', iv, additionalData: this.#aad(events[i]!, keyId) }, key, data.subarray(IV_BYTES));
      }),
    );
    for (const [i, plain] of plains.entries()) {
      const e = events[i]!;
      const keyId = sealed[i]!.keyId;
      if (plain.status === 'rejected') throw failure(e, 'failed', doesNotOpen(e, keyId), keyId, plain.reason);
      this.#fill(e, plain.value, keyId);
    }
    return events as E[];
  }

  async #sealOne<E extends WireEvent>(e: E, keyId: string): Promise<E> {
    const marker = isMarker(e.type);
    const plain = this.#text.encode(JSON.stringify(marker ? { meta: e.meta } : { payload: e.payload, meta: e.meta }));
    const aad = this.#aad(e, keyId);
    const iv = await this.#iv(keyId, aad, plain);
    const sealed = await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: aad }, this.#keys.get(keyId)!, plain);
    const data = new Uint8Array(IV_BYTES + sealed.byteLength);
    data.set(iv);
    data.set(new Uint8Array(sealed), IV_BYTES);
    const seal: Seal = { $sealed: 1, key: keyId, data: toBase64(data) };
    const { meta: _, ...rest } = e;
    return (marker ? { ...rest, meta: seal } : { ...rest, payload: seal }) as E;
  }

  /** An event's seal, its key and its bytes; a DecryptionError if it has none, or one this replica cannot read. */
  #read(e: WireEvent): { key: CryptoKey; keyId: string; data: Uint8Array<ArrayBuffer> } {
    const seal: unknown = isMarker(e.type) ? e.meta : e.payload;
    if (!looksSealed(seal) || (!isMarker(e.type) && e.meta !== undefined)) {
      throw failure(
        e,
        'unsealed',
        `Event ${e.id} (${e.type}) came from the sync server unencrypted: with sync.encryption, every event must be sealed by a replica holding the key`,
      );
    }
    const key = this.#keys.get(seal.key);
    if (!key) {
      const known = [...this.#keys.keys()].join(', ');
      throw failure(
        e,
        'unknown-key',
        `Event ${e.id} is sealed with key "${seal.key}", which this replica does not have (its keys: ${known})`,
        seal.key,
      );
    }
    try {
      return { key, keyId: seal.key, data: fromBase64(seal.data) };
    } catch (cause) {
      throw failure(e, 'failed', doesNotOpen(e, seal.key), seal.key, cause);
    }
  }

  /** Puts an event's opened content in place of its seal, checked as the server checks a push's content in the clear. */
  #fill(e: WireEvent, plain: ArrayBuffer, keyId: string): void {
    let content: { payload?: unknown; meta?: unknown };
    try {
      content = JSON.parse(this.#utf8.decode(plain)) as typeof content;
    } catch (cause) {
      throw failure(e, 'failed', doesNotOpen(e, keyId), keyId, cause);
    }
    const meta = content?.meta;
    if (
      typeof content !== 'object' ||
      content === null ||
      (meta !== undefined && (typeof meta !== 'object' || meta === null || Array.isArray(meta))) ||
      // Nesting deeper than MAX_DEPTH takes at least two characters a level.
      (plain.byteLength > 2 * MAX_DEPTH && (deeperThan(content.payload, MAX_DEPTH) || deeperThan(meta, MAX_DEPTH)))
    ) {
      throw failure(
        e,
        'failed',
        `Event ${e.id} opened to what is not an event's content (meta an object, both at most ${MAX_DEPTH} deep)`,
        keyId,
      );
    }
    if (meta !== undefined) e.meta = meta as Record<string, unknown>;
    else if (isMarker(e.type)) delete e.meta;
    if (!isMarker(e.type)) {
      if ('payload' in content) e.payload = content.payload;
      else delete e.payload;
    }
  }

  /**
   * The envelope, authenticated with the content: what the server sees and must not change.
   * Its text: the version tag, then each field after a `|`, a string as its length, `:` and
   * itself (unambiguous with no escaping), a number as JavaScript writes it (the shortest
   * form that reads back the same); for a marker, its payload's JSON last.
   */
  #aad(e: WireEvent, keyId: string): Uint8Array<ArrayBuffer> {
    let prefix = this.#prefixes.get(keyId);
    if (prefix === undefined) {
      prefix = `${AAD_VERSION}|${field(this.#logId)}|${field(keyId)}`;
      this.#prefixes.set(keyId, prefix);
    }
    let text = `${prefix}|${field(e.id)}|${field(e.type)}|${field(e.stream)}|${field(e.commit)}|${field(e.clientId)}|${e.schemaVersion ?? 1}|${e.time}`;
    if (isMarker(e.type)) text += `|${field(JSON.stringify(e.payload))}`;
    return this.#text.encode(text);
  }

  /** The synthetic IV: HMAC-SHA-256(macKey, aad ‖ 0 ‖ plaintext), its first 12 bytes. */
  async #iv(keyId: string, aad: Uint8Array, plain: Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
    const input = new Uint8Array(aad.length + 1 + plain.length);
    input.set(aad);
    input.set(plain, aad.length + 1);
    const mac = await crypto.subtle.sign('HMAC', await this.#mac(keyId), input);
    return new Uint8Array(mac, 0, IV_BYTES);
  }

  /**
   * A key's MAC key: AES-GCM of 32 zero bytes under MAC_IV (its first 32 bytes are AES-CTR
   * keystream, a pseudo-random function of the key that is never sent), imported as a
   * non-extractable HMAC key. The AES key itself stays non-extractable. A failure is not
   * kept: the next seal tries again.
   */
  #mac(keyId: string): Promise<CryptoKey> {
    let mac = this.#macKeys.get(keyId);
    if (!mac) {
      mac = (async () => {
        const zeros = new Uint8Array(32);
        const block = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv: MAC_IV }, this.#keys.get(keyId)!, zeros), 0, 32);
        const made = await crypto.subtle.importKey('raw', block, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
        block.fill(0);
        return made;
      })();
      this.#macKeys.set(keyId, mac);
      mac.catch(() => this.#macKeys.delete(keyId));
    }
    return mac;
  }
}

/** For a replica without `encryption`: a sealed event is one it cannot read. */
export function refuseSealed(events: readonly WireEvent[]): void {
  for (const e of events) {
    const seal: unknown = isMarker(e.type) ? e.meta : e.payload;
    if (isSeal(seal)) {
      const why = `Event ${e.id} is encrypted (key "${seal.key}"), and this replica has no sync.encryption to open it`;
      throw failure(e, 'no-key', why, seal.key);
    }
  }
}

const doesNotOpen = (e: WireEvent, keyId: string) =>
  `Event ${e.id} does not open with key "${keyId}": the wrong key for it, or its ciphertext or envelope was changed`;

function failure(e: WireEvent, reason: string, message: string, keyId?: string, cause?: unknown): DecryptionError {
  const position = (e as { position?: number }).position;
  return new DecryptionError(message, {
    cause,
    details: { eventId: e.id, reason, ...(position === undefined ? {} : { position }), ...(keyId === undefined ? {} : { keyId }) },
  });
}
