/**
 * Bearer tokens scoped to logs, read or write (a write token may also read). Tokens are
 * compared in constant time: the presented token's SHA-256 against every configured
 * token's, without stopping at the first match.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

export interface AuthOptions {
  tokens: Record<string, { logs: '*' | string[]; access: 'read' | 'write' }>;
}

export type AuthResult = { ok: true } | { ok: false; status: 401 | 403; message: string };

const digest = (token: string) => createHash('sha256').update(token).digest();

export function makeAuthorizer(auth: AuthOptions | undefined): (header: string | undefined, logId: string, need: 'read' | 'write') => AuthResult {
  if (!auth) return () => ({ ok: true });
  const entries = Object.entries(auth.tokens).map(([token, grant]) => ({ hash: digest(token), grant }));
  return (header, logId, need) => {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
    if (!match) return { ok: false, status: 401, message: 'missing bearer token: send Authorization: Bearer <token>' };
    const presented = digest(match[1]!);
    let grant: (typeof entries)[number]['grant'] | undefined;
    for (const entry of entries) if (timingSafeEqual(entry.hash, presented)) grant ??= entry.grant;
    if (!grant) return { ok: false, status: 401, message: 'unknown token' };
    if (grant.logs !== '*' && !grant.logs.includes(logId)) return { ok: false, status: 403, message: `this token has no access to log "${logId}"` };
    if (need === 'write' && grant.access !== 'write') return { ok: false, status: 403, message: 'this token may read but not write' };
    return { ok: true };
  };
}
