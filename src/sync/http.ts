/**
 * The client's HTTP transport for the wire protocol. Every answer is validated (valibot)
 * before anything uses it: a malformed answer is a ProtocolError and changes nothing.
 * Network failures and HTTP errors are SyncErrors carrying `status`, `code` and the
 * server's `Retry-After` (ms) in `details`, for the retry loop.
 */
import { createParser } from 'eventsource-parser';
import * as v from 'valibot';
import { ProtocolError, SyncError, isDecryptionError, isProtocolError, isSyncError } from '../core/errors/index.ts';
import {
  ErrorResponseSchema,
  EventsResponseSchema,
  PushResponseSchema,
  type EventsResponse,
  type PushResponse,
  type WireEvent,
} from '../protocol/wire.ts';
import { firstIssue } from '../core/issues.ts';
import { refuseSealed, type Sealer } from './seal.ts';

export interface TransportOptions {
  url: string;
  logId: string;
  token?: string | undefined;
  fetch?: typeof fetch | undefined;
  /** sync.encryption: seals what is pushed, opens what is pulled (./seal.ts). */
  sealer?: Sealer | undefined;
}

export class HttpTransport {
  readonly #base: string;
  #headers: Record<string, string> = {};
  readonly #fetch: typeof fetch;
  readonly #sealer: Sealer | undefined;
  /** Whether this replica has shown it can read the log it pushes to (#checkKey). */
  #keyChecked = false;

  constructor(options: TransportOptions) {
    this.#sealer = options.sealer;
    this.#base = `${options.url.replace(/\/+$/, '')}/v1/logs/${encodeURIComponent(options.logId)}`;
    this.setToken(options.token);
    const f = options.fetch ?? globalThis.fetch;
    this.#fetch = (input, init) => f(input, init);
  }

  /** The bearer token of the requests from now on (none: no Authorization header). */
  setToken(token: string | undefined): void {
    this.#headers = token ? { Authorization: `Bearer ${token}` } : {};
  }

  /**
   * Pushes events that were pending while this replica's confirmed head was `confirmed`:
   * the server must place them after it, or it has lost what it confirmed before.
   */
  async push(events: readonly WireEvent[], confirmed: number, signal?: AbortSignal): Promise<PushResponse> {
    if (!this.#keyChecked) await this.#checkKey(confirmed, signal);
    let response: Response;
    try {
      response = await this.#post(events, undefined, signal);
    } catch (error) {
      response = await this.#sealedBefore(events, error, signal);
    }
    const body = parse(PushResponseSchema, await json(response), 'push');
    if (body.results.length !== events.length || body.results.some((r, i) => r.id !== events[i]!.id)) {
      throw new ProtocolError('The server answered a push with results that do not match the pushed events', {
        details: { pushed: events.length, results: body.results.length },
      });
    }
    behind(body.head, confirmed);
    const given = new Set<number>();
    for (const r of body.results) {
      if (!('position' in r)) continue;
      if (r.position > body.head) throw new ProtocolError(`The server confirmed position ${r.position} past its head ${body.head}`);
      behind(r.position - 1, confirmed); // a position at or below `confirmed`: the server lost data
      if (given.has(r.position))
        throw new ProtocolError(`The server gave position ${r.position} to two events of one push`, { details: { position: r.position } });
      given.add(r.position);
    }
    return body;
  }

  async pull(after: number, limit: number, signal?: AbortSignal): Promise<EventsResponse> {
    const response = await this.#request(`${this.#base}/events?after=${after}&limit=${limit}`, {
      headers: this.#headers,
      ...(signal ? { signal } : {}),
    });
    return this.#open(checkPage(parse(EventsResponseSchema, await json(response), 'pull') as EventsResponse, after, limit));
  }

  /** POSTs the events, sealed with the current key or `keyId` when the store encrypts. */
  async #post(events: readonly WireEvent[], keyId: string | undefined, signal: AbortSignal | undefined): Promise<Response> {
    return this.#request(`${this.#base}/events`, {
      method: 'POST',
      headers: { ...this.#headers, 'Content-Type': 'application/json' },
      body: JSON.stringify({ events: this.#sealer ? await this.#sealer.seal(events, keyId) : events }),
      ...(signal ? { signal } : {}),
    });
  }

  /**
   * A 409 to an encrypted push (an id the log holds with other content) is, for the toolkit's
   * own replicas, a push whose answer was lost before a key rotation, sent again sealed with
   * the new key: sealed with the key it was first sealed with, it is the same push, answered
   * with its positions. So the push is sent again with each former key that can seal; the
   * 409 stands if none gives the same bytes.
   */
  async #sealedBefore(events: readonly WireEvent[], error: unknown, signal: AbortSignal | undefined): Promise<Response> {
    const conflict = (e: unknown) => isSyncError(e) && e.details['status'] === 409;
    if (!this.#sealer || !conflict(error)) throw error;
    for (const keyId of this.#sealer.formerKeys) {
      try {
        return await this.#post(events, keyId, signal);
      } catch (again) {
        if (!conflict(again)) throw again;
      }
    }
    throw error;
  }

  /**
   * Before its first push, a replica shows that it can read the log it writes to: it reads one
   * event of it back (the newest it has confirmed, or the first one) and opens it. With the
   * wrong key (a mistyped passphrase), without the log's key, or with a key where the log is
   * not encrypted, that is a DecryptionError and nothing is pushed: events the other
   * replicas could not open would stop their sync at them (docs/encryption.md). A replica
   * that has confirmed events of a log without encryption has read it already; an empty log
   * takes the first writer's key.
   */
  async #checkKey(confirmed: number, signal: AbortSignal | undefined): Promise<void> {
    if (this.#sealer || confirmed === 0) await this.pull(Math.max(0, confirmed - 1), 1, signal);
    this.#keyChecked = true;
  }

  /** A validated page as the log takes it: its events opened (./seal.ts); a DecryptionError if one does not open. */
  async #open(page: EventsResponse): Promise<EventsResponse> {
    if (!this.#sealer) refuseSealed(page.events);
    else if (page.events.length > 0) return { ...page, events: await this.#sealer.open(page.events) };
    return page;
  }

  /**
   * Reads the live stream from `after` until it ends or `signal` aborts, calling `onPage`
   * with each validated page (awaited, so pages apply in order). Resolves when the server
   * closes the stream; rejects with SyncError/ProtocolError/DecryptionError.
   */
  async live(
    after: number,
    onPage: (page: EventsResponse) => Promise<void>,
    signal: AbortSignal,
    onOpen?: (head: number) => void,
  ): Promise<void> {
    const response = await this.#request(`${this.#base}/live?after=${after}`, {
      headers: { ...this.#headers, Accept: 'text/event-stream' },
      signal,
    });
    if (!response.body) throw new ProtocolError('The live answer has no body');
    let cursor = after;
    let queue = Promise.resolve();
    let failure: unknown;
    const parser = createParser({
      onEvent: (message) => {
        if (failure !== undefined) return;
        try {
          const data: unknown = JSON.parse(message.data);
          if (message.event === 'head') {
            const { head } = parse(v.object({ head: v.pipe(v.number(), v.integer(), v.minValue(0)) }), data, 'live');
            behind(head, after);
            onOpen?.(head);
          } else if (message.event === 'events') {
            const page = checkPage(parse(EventsResponseSchema, data, 'live') as EventsResponse, cursor, Infinity);
            if (page.events.length > 0) cursor = page.events[page.events.length - 1]!.position;
            queue = queue.then(async () => onPage(await this.#open(page)));
            queue.catch((error: unknown) => {
              failure ??= error;
              reader.cancel().catch(() => undefined); // the loop below ends now, not at the next chunk
            });
          }
        } catch (error) {
          failure =
            error instanceof SyntaxError ? new ProtocolError(`The live stream sent data that is not JSON: ${error.message}`) : error;
        }
      },
    });
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        parser.feed(value);
        if (failure !== undefined) throw failure;
      }
      await queue; // a failure of onPage rejects it; any other failure was thrown in the loop
    } catch (error) {
      if (signal.aborted) return;
      throw isSyncError(error) || isProtocolError(error) || isDecryptionError(error)
        ? error
        : (failure ?? new SyncError(`The live stream broke: ${(error as Error)?.message}`, { cause: error }));
    } finally {
      reader.cancel().catch(() => undefined);
    }
  }

  async #request(url: string, init: RequestInit): Promise<Response> {
    let response: Response;
    try {
      // no-store: nothing of the log is kept in the HTTP cache, and Firefox does not make a
      // request wait on another for the same URL (two replicas' live streams) as it does for
      // responses it could store.
      response = await this.#fetch(url, { cache: 'no-store', ...init });
    } catch (cause) {
      if ((cause as Error)?.name === 'AbortError') throw cause;
      throw new SyncError(`The sync server cannot be reached: ${(cause as Error)?.message ?? cause}`, { cause, details: { status: 0 } });
    }
    if (response.ok) return response;
    const retryAfter = parseRetryAfter(response.headers.get('Retry-After'));
    let code = 'http_error';
    let message = `HTTP ${response.status}`;
    try {
      const body = v.safeParse(ErrorResponseSchema, await response.json());
      if (body.success) ({ code, message } = body.output.error);
    } catch {
      // not JSON: keep the status line
    }
    throw new SyncError(`The sync server answered ${response.status} (${code}): ${message}`, {
      details: { status: response.status, code, ...(retryAfter === undefined ? {} : { retryAfter }) },
    });
  }
}

async function json(response: Response): Promise<unknown> {
  try {
    return await response.json();
  } catch (cause) {
    if ((cause as Error)?.name === 'AbortError') throw cause;
    throw new ProtocolError(`The sync server's answer is not JSON: ${(cause as Error)?.message}`, { cause });
  }
}

function parse<T extends v.GenericSchema>(schema: T, data: unknown, what: string): v.InferOutput<T> {
  const result = v.safeParse(schema, data);
  if (result.success) return result.output;
  const { path, message } = firstIssue(result.issues);
  throw new ProtocolError(`The sync server's ${what} answer is malformed at ${path || 'the top'}: ${message}`);
}

/**
 * A server whose head is below what this replica already has confirmed lost data (it was
 * restored from an older backup, or restarted on empty storage): nothing it says can be
 * applied. See docs/protocol.md for what an operator does.
 */
function behind(head: number, confirmed: number): void {
  if (head >= confirmed) return;
  throw new ProtocolError(
    `The sync server's log ends at position ${head}, but this replica already has ${confirmed} events confirmed by it: the server lost data (restored from an older backup, or started on empty storage). Nothing was applied; restore the server's storage, or start this replica on a new database`,
    { details: { serverHead: head, confirmed } },
  );
}

/** A page must continue the cursor without gaps, hold each id once and stay within the head. */
function checkPage(page: EventsResponse, after: number, limit: number): EventsResponse {
  if (page.events.length > limit) throw new ProtocolError(`The server sent ${page.events.length} events for a limit of ${limit}`);
  behind(page.head, after);
  const ids = new Set<string>();
  page.events.forEach((e, i) => {
    if (e.position !== after + i + 1) {
      throw new ProtocolError(`The server sent position ${e.position} where ${after + i + 1} was due: pages must be contiguous`);
    }
    if (ids.has(e.id)) throw new ProtocolError(`The server sent event ${e.id} at two positions`, { details: { eventId: e.id } });
    ids.add(e.id);
  });
  const last = page.events[page.events.length - 1];
  if (last && last.position > page.head) throw new ProtocolError(`The server sent position ${last.position} past its head ${page.head}`);
  return page;
}

export function parseRetryAfter(value: string | null): number | undefined {
  if (value === null) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}
