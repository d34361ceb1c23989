/**
 * The demo's optional end-to-end encryption ("Encrypt this fleet log"). Devices that enter the
 * same passphrase share an encrypted copy of the fleet log: the sync server stores only
 * ciphertext.
 *
 * The encrypted log is another log, `<logId>-e2e`, in another local database: a replica that
 * encrypts refuses the plain log's events and one that does not refuses encrypted ones, so the
 * two never mix. The key is deriveKey(passphrase, `<logId>-e2e`) (PBKDF2, 600,000 iterations).
 *
 * What this browser keeps: the key, as a non-extractable CryptoKey in IndexedDB (CryptoKeys are
 * structured-cloneable), so a reload opens the encrypted log again without asking; never the
 * passphrase. "Forget the passphrase" deletes the key. (Anyone who can run script on this
 * origin can use the key, as they can read the local database, which holds the opened events:
 * the encryption protects the log from the server, not from this browser's profile.)
 */
import { deriveKey } from 'eventloom';

/** The encrypted log of the plain log `logId`; also the key's salt. */
export const encryptedLogId = (logId: string): string => `${logId}-e2e`;

/** The key for the encrypted log of `logId` (0.3 to 1 s: PBKDF2 at 600,000 iterations). */
export const keyFor = (passphrase: string, logId: string): Promise<CryptoKey> => deriveKey(passphrase, encryptedLogId(logId));

const SETTINGS = 'eventloom-fleet-settings';
const KEYS = 'keys';

function result<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

/** One request on the remembered keys (by plain log id), resolved once its transaction committed. */
async function onKeys<T>(mode: IDBTransactionMode, use: (keys: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const open = indexedDB.open(SETTINGS, 1);
  open.onupgradeneeded = () => open.result.createObjectStore(KEYS);
  const db = await result(open);
  try {
    const tx = db.transaction(KEYS, mode);
    const done = new Promise<void>((resolve, reject) => {
      tx.oncomplete = () => resolve();
      tx.onerror = tx.onabort = () => reject(tx.error);
    });
    const [value] = await Promise.all([result(use(tx.objectStore(KEYS))), done]);
    return value;
  } finally {
    db.close();
  }
}

/** The key this browser remembers for the encrypted log of `logId`, if any. */
export async function rememberedKey(logId: string): Promise<CryptoKey | undefined> {
  const saved = (await onKeys('readonly', (keys) => keys.get(logId))) as { key?: unknown } | undefined;
  return saved?.key instanceof CryptoKey ? saved.key : undefined;
}

/** Remembers the (non-extractable) key for the encrypted log of `logId`. */
export async function rememberKey(logId: string, key: CryptoKey): Promise<void> {
  await onKeys('readwrite', (keys) => keys.put({ key, logId: encryptedLogId(logId) }, logId));
}

export async function forgetKey(logId: string): Promise<void> {
  await onKeys('readwrite', (keys) => keys.delete(logId));
}

/** What `#encryption-mode` says in each mode. */
export const MODE_WORDS = {
  plain: 'Not encrypted: this is the shared plain log, which the sync server can read.',
  encrypted: 'Encrypted: only devices with the passphrase can read this log.',
  deriving: 'Making the key from the passphrase…',
  switching: 'Opening the log…',
} as const;

/** The words for a DecryptionError in status.lastError, whether this store encrypts or not. */
export function decryptionWords(encrypted: boolean): string {
  return encrypted ? 'This passphrase does not open this log' : 'This log is encrypted: enter its passphrase to read it';
}
