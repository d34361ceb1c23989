/**
 * deriveKey(passphrase, salt): a non-extractable AES-GCM-256 key for end-to-end encryption
 * of a synced log (docs/encryption.md), from a passphrase
 * people share out of band. PBKDF2-SHA-256 at 600,000 iterations: OWASP's current figure
 * for PBKDF2-HMAC-SHA256 (its Password Storage Cheat Sheet). The same passphrase and salt
 * give the same key on every device; choose the salt per log (its logId does), so that one
 * passphrase gives different keys for different logs.
 */

/** PBKDF2-SHA-256 iterations (OWASP Password Storage Cheat Sheet, 2023 onwards: 600,000). */
export const PBKDF2_ITERATIONS = 600_000;

export async function deriveKey(passphrase: string, salt: string): Promise<CryptoKey> {
  if (typeof passphrase !== 'string' || passphrase.length === 0) throw new TypeError('deriveKey: passphrase must be a non-empty string');
  if (typeof salt !== 'string' || salt.length === 0) throw new TypeError('deriveKey: salt must be a non-empty string (e.g. the logId)');
  const subtle = globalThis.crypto?.subtle;
  if (!subtle)
    throw new TypeError('deriveKey: WebCrypto (crypto.subtle) is not available here: a secure context (https or localhost) is needed');
  const text = new TextEncoder();
  const material = await subtle.importKey('raw', text.encode(passphrase), 'PBKDF2', false, ['deriveKey']);
  return subtle.deriveKey(
    { name: 'PBKDF2', hash: 'SHA-256', salt: text.encode(`eventloom:${salt}`), iterations: PBKDF2_ITERATIONS },
    material,
    { name: 'AES-GCM', length: 256 },
    false,
    ['encrypt', 'decrypt'],
  );
}
