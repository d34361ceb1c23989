/**
 * Bearer tokens scoped to logs, read or write (a write token may also read). Tokens are
 * compared in constant time: the presented token's SHA-256 against every configured
 * token's, without stopping at the first match. WebCrypto only: the app runs on any
 * runtime (README, "The reference server").
 */

export interface AuthOptions {
  tokens: Record<string, { logs: '*' | string[]; access: 'read' | 'write' }>;
}

export type AuthResult = { ok: true } | { ok: false; status: 401 | 403; message: string };

const digest = async (token: string) => new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(token)));

/** Equal digests, in time that does not depend on where they differ. */
function sameDigest(a: Uint8Array, b: Uint8Array): boolean {
  let differ = a.length ^ b.length;
  for (let i = 0; i < a.length; i++) differ |= a[i]! ^ (b[i] ?? 0);
  return differ === 0;
}

export function makeAuthorizer(
  auth: AuthOptions | undefined,
): (header: string | undefined, logId: string, need: 'read' | 'write') => Promise<AuthResult> {
  if (!auth) return async () => ({ ok: true });
  const ready = Promise.all(Object.entries(auth.tokens).map(async ([token, grant]) => ({ hash: await digest(token), grant })));
  return async (header, logId, need) => {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
    if (!match) return { ok: false, status: 401, message: 'missing bearer token: send Authorization: Bearer <token>' };
    const [entries, presented] = await Promise.all([ready, digest(match[1]!)]);
    let grant: (typeof entries)[number]['grant'] | undefined;
    for (const entry of entries) if (sameDigest(entry.hash, presented)) grant ??= entry.grant;
    if (!grant) return { ok: false, status: 401, message: 'unknown token' };
    if (grant.logs !== '*' && !grant.logs.includes(logId))
      return { ok: false, status: 403, message: `this token has no access to log "${logId}"` };
    if (need === 'write' && grant.access !== 'write') return { ok: false, status: 403, message: 'this token may read but not write' };
    return { ok: true };
  };
}
