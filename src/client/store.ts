/**
 * The Store the app holds, over an EngineApi that is either the engine itself
 * (in-process) or a Comlink proxy to it (worker mode). The mirror makes get() and
 * status synchronous.
 */
import { storeClosed, UnknownProjectionError } from '../core/errors/index.ts';
import type { EventInput, ExpectedVersion, StoredEvent } from '../core/event.ts';
import type { EngineApi } from '../api/contract.ts';
import type { Mirror } from './mirror.ts';
import type { EventQuery, RejectedCommit, StateAt, Store, StoreStatus } from '../api/store.ts';

export class StoreImpl implements Store {
  #closed = false;

  constructor(
    readonly clientId: string,
    private readonly api: EngineApi,
    private readonly mirror: Mirror,
    private readonly release: () => void,
  ) {}

  #assertOpen(): void {
    if (this.#closed) throw storeClosed('closed');
  }

  #assertProjection(name: string): void {
    this.#assertOpen();
    if (!this.mirror.states.has(name)) {
      const known = [...this.mirror.states.keys()].join(', ') || 'none';
      throw new UnknownProjectionError(`No projection named "${name}"; this store has: ${known}`, { details: { projection: name } });
    }
  }

  async append(events: EventInput | EventInput[], options?: { expectedVersion?: ExpectedVersion }): Promise<StoredEvent[]> {
    this.#assertOpen();
    const result = await this.api.append(events, options);
    await this.mirror.reach(result.seq);
    return result.events;
  }

  get<S>(projection: string): S {
    this.#assertProjection(projection);
    return this.mirror.states.get(projection) as S;
  }

  async state<S>(projection: string): Promise<S> {
    this.#assertProjection(projection);
    await this.mirror.reach(await this.api.flush());
    return this.get<S>(projection);
  }

  subscribe<S>(projection: string, listener: (state: S) => void): () => void {
    this.#assertProjection(projection);
    return this.mirror.subscribe(projection, listener as (state: unknown) => void);
  }

  async stateAt<S>(projection: string, at: StateAt): Promise<S> {
    this.#assertProjection(projection);
    return (await this.api.stateAt(projection, at)) as S;
  }

  async events(query?: EventQuery): Promise<StoredEvent[]> {
    this.#assertOpen();
    return this.api.events(query);
  }

  async undo(): Promise<boolean> {
    this.#assertOpen();
    const { done, seq } = await this.api.undo();
    await this.mirror.reach(seq);
    return done;
  }

  async redo(): Promise<boolean> {
    this.#assertOpen();
    const { done, seq } = await this.api.redo();
    await this.mirror.reach(seq);
    return done;
  }

  async revert(commit: string): Promise<void> {
    this.#assertOpen();
    const { seq } = await this.api.revert(commit);
    await this.mirror.reach(seq);
  }

  async compact(options: { before: number }): Promise<{ compacted: number; removed: number }> {
    this.#assertOpen();
    const { compacted, removed, seq } = await this.api.compact(options);
    await this.mirror.reach(seq);
    return { compacted, removed };
  }

  get status(): StoreStatus {
    return { ...this.mirror.status };
  }

  onStatus(listener: (status: StoreStatus) => void): () => void {
    this.#assertOpen();
    return this.mirror.onStatus(listener);
  }

  readonly sync = {
    now: async (): Promise<void> => {
      this.#assertOpen();
      await this.api.syncNow();
      await this.mirror.reach(await this.api.flush());
    },
    /** Stops all sync traffic until resume(); a no-op on a store without sync. */
    pause: (): void => {
      this.#assertOpen();
      if (this.mirror.status.sync !== 'off') this.api.syncPause().catch(() => undefined);
    },
    resume: (): void => {
      this.#assertOpen();
      if (this.mirror.status.sync !== 'off') this.api.syncResume().catch(() => undefined);
    },
    /** A no-op on a store without sync; a TypeError for anything but a non-empty string. */
    setToken: (token: string): void => {
      this.#assertOpen();
      if (typeof token !== 'string' || token.length === 0) throw new TypeError('sync.setToken() needs a non-empty token string');
      if (this.mirror.status.sync !== 'off') this.api.syncSetToken(token).catch(() => undefined);
    },
    rejected: async (): Promise<RejectedCommit[]> => {
      this.#assertOpen();
      return this.api.syncRejected();
    },
    clearRejected: async (commits?: string[]): Promise<number> => {
      this.#assertOpen();
      return this.api.syncClearRejected(commits);
    },
  };

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      await this.api.close();
    } finally {
      this.mirror.clear();
      this.release();
    }
  }
}

/**
 * The names of a store's projections, when it is one createStore() made (else none known),
 * for tools such as the inspector (the Store API asks for a name). A function beside the
 * class, not a member of it: an app that does not use it does not carry it.
 */
export function projectionNames(store: Store): string[] {
  return store instanceof StoreImpl ? [...(store as unknown as { mirror: Mirror }).mirror.states.keys()] : [];
}
