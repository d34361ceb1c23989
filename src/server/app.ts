/**
 * createSyncApp(): the reference append endpoint as a web-standard fetch handler (Hono),
 * so it runs on Node (startSyncServer), Workers, Deno or Bun. Routes: docs/protocol.md.
 * Every invalid request gets a 4xx `{ error: { code, message } }` and stores nothing.
 */
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import * as v from 'valibot';
import { deeperThan, MAX_DEPTH } from '../core/limits.ts';
import { LogIdSchema, PushRequestSchema, type ErrorCode } from '../protocol/wire.ts';
import { makeAuthorizer, type AuthOptions } from './auth.ts';
import { LiveHub, type LiveLimits } from './live.ts';
import { makeAccess, type AccessOptions } from './openAccess.ts';
import { ConflictingPushError, InvalidPushError } from './plan.ts';
import type { SyncStorage } from './storage.ts';
import { firstIssue } from '../core/issues.ts';

export const DEFAULT_DB_PATH = './data/eventloom.db';

export interface SyncAppOptions {
  /**
   * Where logs are kept: memoryStorage(), sqliteStorage(), postgresStorage() or your own.
   * Required here, so that the handler loads no Node-only module for a runtime that has
   * none (startSyncServer(), on Node, defaults to sqliteStorage).
   */
  storage: SyncStorage;
  auth?: AuthOptions;
  /**
   * maxDepth: how deep payload and meta may nest (default 64, as append() allows); deeper
   * is a 400 (a store refuses such events at append(), src/core/limits.ts). bodyTimeoutMs:
   * how long a push's body may take to arrive (default 30 s); slower is a 408.
   */
  limits?: {
    maxEventsPerPush?: number;
    maxBodyBytes?: number;
    maxPullLimit?: number;
    maxDepth?: number;
    bodyTimeoutMs?: number;
  } & LiveLimits;
  /** Where 5xx answers are logged with their cause, one entry each; default console.error, one JSON line. */
  log?: (entry: ServerLogEntry) => void;
  /**
   * Browser origins allowed to call the server (CORS). Default: with auth, any ('*': tokens
   * travel in a header, not cookies); without auth, loopback origins only, and a request from
   * any other origin is refused (403). `{ origin }` is the older spelling of `{ origins }`.
   * `false`: no CORS headers at all.
   */
  cors?: { origins: '*' | string[] } | { origin: string | string[] } | false;
  /**
   * Without auth, the server answers only requests whose Host is a loopback name (no DNS
   * rebinding) or one of these. startSyncServer adds the host it listens on.
   */
  hosts?: string[];
  /** Live streams send a comment this often so proxies keep them open; default 15 s. */
  heartbeatMs?: number;
}

/** One line about a request the server could not serve (a 5xx): what, where, and why. */
export interface ServerLogEntry {
  level: 'error';
  status: number;
  code: ErrorCode;
  method: string;
  path: string;
  message: string;
  /** The underlying failure (a storage error, a bug): name and message. */
  cause: string;
}

export interface SyncApp {
  fetch(request: Request): Promise<Response>;
  /** Ends every open live stream. */
  close(): void;
}

const STATUS: Record<ErrorCode, number> = {
  invalid: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  timeout: 408,
  conflict: 409,
  unsupported_media_type: 415,
  too_large: 413,
  too_many_requests: 429,
  unavailable: 503,
  internal: 500,
};

function corsOrigins(cors: SyncAppOptions['cors']): AccessOptions['origins'] {
  if (cors === undefined || cors === false) return undefined;
  const given = 'origins' in cors ? cors.origins : cors.origin;
  return given === '*' ? '*' : typeof given === 'string' ? [given] : given;
}

function fail(c: Context, code: ErrorCode, message: string, headers: Record<string, string> = {}): Response {
  // An error answer to a push may come before its body was read: close the connection so
  // the client's next request does not land on a socket still holding that body.
  const close = c.req.method === 'POST' ? { Connection: 'close' } : {};
  return c.json({ error: { code, message } }, STATUS[code] as 400, { ...close, ...headers });
}

export function createSyncApp(options: SyncAppOptions): SyncApp {
  const storage = options?.storage;
  if (typeof storage?.push !== 'function') {
    throw new TypeError(
      'createSyncApp: options.storage is required: memoryStorage(), sqliteStorage({ path }) or postgresStorage({ connectionString }) from eventloom/server, or your own',
    );
  }
  const maxEvents = options.limits?.maxEventsPerPush ?? 1000;
  const maxBytes = options.limits?.maxBodyBytes ?? 1024 * 1024;
  const maxPull = options.limits?.maxPullLimit ?? 1000;
  const maxDepth = options.limits?.maxDepth ?? MAX_DEPTH;
  const bodyTimeoutMs = options.limits?.bodyTimeoutMs ?? 30_000;
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const live = new LiveHub(storage, { maxPull, heartbeatMs, limits: options.limits ?? {} });
  const log = options.log ?? ((entry: ServerLogEntry) => console.error(JSON.stringify(entry)));
  /** A 5xx, logged with its cause (the client hears only the code and message). */
  const failHard = (
    c: Context,
    code: 'unavailable' | 'internal',
    message: string,
    cause: unknown,
    headers: Record<string, string> = {},
  ): Response => {
    try {
      log({
        level: 'error',
        status: STATUS[code],
        code,
        method: c.req.method,
        path: new URL(c.req.url).pathname,
        message,
        cause: cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause),
      });
    } catch {
      // a failing logger must not turn the answer into another error
    }
    return fail(c, code, message, headers);
  };
  const authorize = makeAuthorizer(options.auth);
  const app = new Hono<{ Variables: { logId: string; answered: { late: boolean } } }>();

  const access = makeAccess({ auth: options.auth !== undefined, origins: corsOrigins(options.cors), hosts: options.hosts });
  app.use('*', async (c, next) => {
    const why = access.refusal({ hostname: new URL(c.req.url).hostname, origin: c.req.header('Origin') });
    if (why !== undefined) return fail(c, 'forbidden', why);
    await next();
    return undefined;
  });
  if (options.cors !== false) {
    app.use(
      '*',
      cors({
        origin: (origin) => access.allowOrigin(origin) ?? null,
        allowHeaders: ['Authorization', 'Content-Type', 'Last-Event-ID'],
        allowMethods: ['GET', 'POST', 'OPTIONS'],
        exposeHeaders: ['Retry-After'],
        maxAge: 600,
      }),
    );
  }

  /** Validates the logId and the token; returns an error response or the logId. */
  const guard = async (c: Context, need: 'read' | 'write'): Promise<Response | string> => {
    const parsed = v.safeParse(LogIdSchema, c.req.param('logId'));
    if (!parsed.success) return fail(c, 'invalid', `invalid logId: ${firstIssue(parsed.issues).message}`);
    const auth = await authorize(c.req.header('Authorization'), parsed.output, need);
    if (!auth.ok) {
      return auth.status === 401
        ? fail(c, 'unauthorized', auth.message, { 'WWW-Authenticate': 'Bearer' })
        : fail(c, 'forbidden', auth.message);
    }
    return parsed.output;
  };

  const nonNegativeInt = (value: string | undefined, fallback: number): number | undefined => {
    if (value === undefined) return fallback;
    return /^\d{1,15}$/.test(value) ? Number(value) : undefined;
  };

  app.post(
    '/v1/logs/:logId/events',
    // The token and the content type are checked before a byte of the body is read
    // (bodyLimit reads a chunked body to its end).
    async (c, next) => {
      const logId = await guard(c, 'write');
      if (typeof logId !== 'string') return logId;
      const type = c.req.header('Content-Type') ?? '';
      if (!/^application\/json\s*(;|$)/i.test(type)) {
        return fail(c, 'unsupported_media_type', `a push must be Content-Type: application/json, not ${type ? `"${type}"` : 'none'}`);
      }
      c.set('logId', logId);
      // A body that trickles in (a slow-loris upload) holds a connection for no more than this;
      // the push it carried is then never stored, even if the body arrives after all.
      const answered = { late: false };
      c.set('answered', answered);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), bodyTimeoutMs)));
      try {
        if ((await Promise.race([next(), late])) === 'late') {
          answered.late = true;
          return fail(c, 'timeout', `the body did not arrive within ${bodyTimeoutMs} ms`);
        }
      } finally {
        clearTimeout(timer);
      }
      return undefined;
    },
    bodyLimit({
      maxSize: maxBytes,
      onError: (c) => fail(c, 'too_large', `the body is over ${maxBytes} bytes: push fewer events at once`),
    }),
    async (c) => {
      const logId = c.get('logId');
      let body: unknown;
      try {
        body = JSON.parse(await c.req.text());
      } catch {
        return fail(c, 'invalid', 'the body is not valid JSON');
      }
      const count = (body as { events?: unknown } | null)?.events;
      if (Array.isArray(count) && count.length > maxEvents) {
        return fail(c, 'too_large', `${count.length} events in one push; at most ${maxEvents}`);
      }
      const parsed = v.safeParse(PushRequestSchema, body);
      if (!parsed.success) {
        const { path, message } = firstIssue(parsed.issues);
        return fail(c, 'invalid', `${path || 'body'}: ${message}`);
      }
      const deep = parsed.output.events.findIndex((e) => deeperThan(e.payload, maxDepth) || deeperThan(e.meta, maxDepth));
      if (deep !== -1) return fail(c, 'invalid', `events.${deep}: payload and meta may nest at most ${maxDepth} levels deep`);
      if (c.get('answered').late) return fail(c, 'timeout', 'the body came too late');
      try {
        return c.json(await storage.push(logId, parsed.output.events));
      } catch (error) {
        if (error instanceof InvalidPushError) return fail(c, 'invalid', error.message);
        if (error instanceof ConflictingPushError) return fail(c, 'conflict', error.message);
        return failHard(c, 'unavailable', 'the storage is unavailable; retry later', error, { 'Retry-After': '1' });
      }
    },
  );

  app.get('/v1/logs/:logId/events', async (c) => {
    const logId = await guard(c, 'read');
    if (typeof logId !== 'string') return logId;
    const after = nonNegativeInt(c.req.query('after'), 0);
    const limit = nonNegativeInt(c.req.query('limit'), maxPull);
    if (after === undefined) return fail(c, 'invalid', 'after must be a non-negative integer');
    if (limit === undefined || limit < 1)
      return fail(c, 'invalid', `limit must be a positive integer (at most ${maxPull} events are served)`);
    try {
      return c.json(await storage.read(logId, after, Math.min(limit, maxPull)));
    } catch (error) {
      return failHard(c, 'unavailable', 'the storage is unavailable; retry later', error, { 'Retry-After': '1' });
    }
  });

  app.get('/v1/logs/:logId/live', async (c) => {
    const logId = await guard(c, 'read');
    if (typeof logId !== 'string') return logId;
    const after = nonNegativeInt(c.req.query('after') ?? c.req.header('Last-Event-ID'), 0);
    if (after === undefined) return fail(c, 'invalid', 'after must be a non-negative integer');
    const token = c.req.header('Authorization') ?? '';
    const admitted = live.admit(token);
    if (admitted === 'instance')
      return fail(c, 'unavailable', 'this server has as many live streams as it takes; retry later', { 'Retry-After': '5' });
    if (admitted === 'token')
      return fail(c, 'too_many_requests', 'this token has as many live streams open as it may; close one, or retry later', {
        'Retry-After': '5',
      });
    // On Node (startSyncServer) the response, so a stalled subscriber's connection can be cut.
    const outgoing = (c.env as { outgoing?: { destroy(): void } } | undefined)?.outgoing;
    const body = live.stream(logId, after, token, { signal: c.req.raw.signal, onStall: () => outgoing?.destroy() });
    // no-transform and X-Accel-Buffering: proxies (nginx and others) pass each page on as it comes, not buffered or compressed.
    return c.body(body, 200, {
      'Content-Type': 'text/event-stream',
      'Cache-Control': 'no-store, no-transform',
      'X-Accel-Buffering': 'no',
      Connection: 'keep-alive',
    });
  });

  const wrongMethod = (allow: string) => (c: Context) =>
    fail(c, 'method_not_allowed', `${c.req.method} is not allowed here; use ${allow}`, { Allow: allow });
  app.all('/v1/logs/:logId/events', wrongMethod('GET, POST'));
  app.all('/v1/logs/:logId/live', wrongMethod('GET'));
  app.notFound((c) => {
    const path = new URL(c.req.url).pathname;
    if (/^\/v1\/logs\/\/(events|live)$/.test(path)) return fail(c, 'invalid', 'invalid logId: logId must not be empty');
    return fail(c, 'not_found', `no route ${c.req.method} ${path}`);
  });
  app.onError((error, c) => failHard(c, 'internal', 'internal error', error));

  return {
    fetch: async (request) => app.fetch(request),
    close: () => live.closeAll(),
  };
}
