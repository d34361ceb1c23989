import { EventloomError } from './EventloomError.ts';

/**
 * An event from the sync server that this replica cannot open (sync.encryption): it has no
 * key for it, the wrong key, or the ciphertext or its envelope was changed (tampered with,
 * moved to another event), or it came unencrypted to a replica that encrypts. Nothing of
 * the page it came in was applied; status.sync is 'error' and sync retries, and goes on
 * once the store is opened with the right key. `details`: `eventId`, `position` (when
 * pulled), `keyId` (the key it is sealed with), `reason` ('no-key' | 'unknown-key' |
 * 'failed' | 'unsealed').
 */
export class DecryptionError extends EventloomError {
  override readonly name = 'DecryptionError';
}

export function isDecryptionError(error: unknown): error is DecryptionError {
  return (error as { name?: unknown } | null)?.name === 'DecryptionError';
}
