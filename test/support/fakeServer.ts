/**
 * The server side of a Syncer for the sync loop's unit tests: a log in memory that stores
 * pushes idempotently by id and pages itself, with the faults and live streams a test sets,
 * and a record of every request. Used through `server as unknown as HttpTransport`.
 */
import type { EventsResponse, PositionedEvent, PushResponse, WireEvent } from '../../src/protocol/wire.ts';

/** A push's answer instead of the normal one: an error to throw, or a response. */
export type PushFault = (events: readonly WireEvent[]) => Error | PushResponse | undefined;
export type Fault = () => Error | undefined;

export interface LiveConnection {
  after: number;
  /** Ended by the server, failed, or aborted by the client. */
  closed: boolean;
  signal: AbortSignal;
  send(page: EventsResponse): Promise<void>;
  /** The server ends the stream. */
  end(): void;
  fail(error: unknown): void;
}

/** Another replica's event, alone in its commit. */
export const wire = (id: string): WireEvent => ({
  id,
  type: 'added',
  payload: { id },
  stream: 'todos',
  clientId: 'other',
  commit: id,
  time: 1,
});

export class FakeServer {
  log: PositionedEvent[] = [];
  /** Fake-clock times of each request, by kind. */
  pushes: number[] = [];
  pulls: number[] = [];
  /** The ids each push carried, in order. */
  pushed: string[][] = [];
  tokens: (string | undefined)[] = [];
  connections: LiveConnection[] = [];
  pushFault: PushFault | undefined;
  pullFault: Fault | undefined;
  liveFault: Fault | undefined;

  setToken(token: string | undefined): void {
    this.tokens.push(token);
  }
  get token(): string | undefined {
    return this.tokens.at(-1);
  }
  /** The live streams still open. */
  get open(): LiveConnection[] {
    return this.connections.filter((c) => !c.closed);
  }

  async push(events: readonly WireEvent[]): Promise<PushResponse> {
    this.pushes.push(Date.now());
    this.pushed.push(events.map((e) => e.id));
    const answer = this.pushFault?.(events);
    if (answer instanceof Error) throw answer;
    if (answer) return answer;
    const results = events.map((e) => this.#add(e));
    return { results, head: this.log.length };
  }

  async pull(after: number, limit: number): Promise<EventsResponse> {
    this.pulls.push(Date.now());
    const error = this.pullFault?.();
    if (error) throw error;
    return { events: this.log.slice(after, after + limit), head: this.log.length };
  }

  live(after: number, onPage: (page: EventsResponse) => Promise<void>, signal: AbortSignal): Promise<void> {
    const error = this.liveFault?.();
    if (error) return Promise.reject(error);
    return new Promise((resolve, reject) => {
      const connection: LiveConnection = {
        after,
        signal,
        closed: false,
        send: onPage,
        end: () => {
          connection.closed = true;
          resolve();
        },
        fail: (error) => {
          connection.closed = true;
          reject(error);
        },
      };
      signal.addEventListener('abort', connection.end);
      this.connections.push(connection);
    });
  }

  /** Another replica's events (one event a commit, by id) reach the server; open streams carry them. */
  async publish(...ids: string[]): Promise<void> {
    const fresh = ids.map((id) => this.log[this.#add(wire(id)).position - 1]!);
    for (const c of this.open) await c.send({ events: fresh, head: this.log.length });
  }

  #add(e: WireEvent): { id: string; position: number } {
    const known = this.log.find((k) => k.id === e.id);
    if (known) return { id: e.id, position: known.position };
    this.log.push({ ...e, position: this.log.length + 1 });
    return { id: e.id, position: this.log.length };
  }
}
