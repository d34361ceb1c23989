/**
 * The engine's API (api/contract.ts EngineApi) over one engine: each call's checks, and
 * which part of the engine answers it. Writes go through the engine's writer queue; reads
 * to the database (./reads.ts); sync calls to the sync bridge. The worker serves one session
 * per open() (./index.ts); in-process mode calls one directly (client/local.ts).
 */
import type { EngineApi, Opened } from '../api/contract.ts';
import type { CompactResult, EventQuery, RejectedCommit, StateAt } from '../api/store.ts';
import { InvalidEventError, UnknownProjectionError } from '../core/errors/index.ts';
import { validateInputs, type EventInput, type ExpectedVersion, type StoredEvent, type ValidInputs } from '../core/event.ts';
import type { Projection } from '../core/projection.ts';
import { requestCompaction, validateCompact } from './compactPolicy.ts';
import type { Engine } from './engine.ts';
import { readEvents, readStateAt, type ReadContext } from './reads.ts';
import { clearRejected, readRejected } from './rejected.ts';

export class EngineSession implements EngineApi {
  readonly #engine: Engine;
  readonly #byName: ReadonlyMap<string, Projection<unknown>>;
  readonly #reads: ReadContext;

  constructor(engine: Engine) {
    this.#engine = engine;
    const { db, schema, projections } = engine.log;
    this.#byName = new Map(projections.map((p) => [p.name, p]));
    this.#reads = {
      db,
      schema,
      view: () => engine.view,
      settled: () => engine.settled(),
      withRestore: (call) => engine.withRestore(call),
    };
  }

  /** The client id, states and status the page starts from. */
  opened(): Opened {
    return this.#engine.opened();
  }

  // ---- writes: ops of the engine's writer queue -----------------------------------------

  append(
    events: EventInput | EventInput[],
    options?: { expectedVersion?: ExpectedVersion },
  ): Promise<{ events: StoredEvent[]; seq: number }> {
    try {
      this.#engine.assertOpen(); // a closed store says so, whatever it is given
      return this.#engine.submit({ kind: 'append', input: validateInputs(events, options?.expectedVersion) });
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** append() for input validateInputs() already checked (in-process mode checks it before its copy: client/local.ts). */
  appendValid(input: ValidInputs): Promise<{ events: StoredEvent[]; seq: number }> {
    return this.#engine.submit({ kind: 'append', input });
  }

  undo(): Promise<{ done: boolean; seq: number }> {
    return this.#engine.submit({ kind: 'undo' });
  }

  redo(): Promise<{ done: boolean; seq: number }> {
    return this.#engine.submit({ kind: 'redo' });
  }

  revert(commit: string): Promise<{ seq: number }> {
    if (typeof commit !== 'string' || commit.length === 0) {
      return Promise.reject(new InvalidEventError('revert() needs the commit id of the change to undo (StoredEvent.commit)'));
    }
    return this.#engine.submit({ kind: 'revert', commit });
  }

  async compact(options: { before: number }): Promise<CompactResult & { seq: number }> {
    const before = validateCompact(options);
    return this.#engine.whileOpen(() => requestCompaction(this.#engine, before));
  }

  async flush(): Promise<number> {
    this.#engine.assertOpen();
    await this.#engine.settled();
    return this.#engine.seq;
  }

  // ---- reads ----------------------------------------------------------------------------

  async stateAt(projection: string, at: StateAt): Promise<unknown> {
    this.#engine.assertOpen();
    const p = this.#projection(projection);
    return this.#engine.whileOpen(() => readStateAt(this.#reads, p, at));
  }

  async events(query?: EventQuery): Promise<StoredEvent[]> {
    return this.#engine.whileOpen(() => readEvents(this.#reads, query));
  }

  #projection(name: string): Projection<unknown> {
    const p = this.#byName.get(name);
    if (p) return p;
    const known = [...this.#byName.keys()].join(', ') || 'none';
    throw new UnknownProjectionError(`No projection named "${name}"; this store has: ${known}`, { details: { projection: name } });
  }

  // ---- sync and storage -----------------------------------------------------------------

  async syncNow(): Promise<void> {
    await this.#engine.whileOpen(() => this.#engine.sync.now());
    await this.#engine.settled();
  }

  async syncPause(): Promise<void> {
    this.#engine.assertOpen();
    this.#engine.sync.pause();
  }

  async syncResume(): Promise<void> {
    this.#engine.assertOpen();
    this.#engine.sync.resume();
  }

  async syncSetToken(token: string): Promise<void> {
    this.#engine.assertOpen();
    this.#engine.sync.setToken(token);
  }

  async syncNetwork(online: boolean): Promise<void> {
    this.#engine.assertOpen();
    this.#engine.sync.network(online);
  }

  async syncRejected(): Promise<RejectedCommit[]> {
    return this.#engine.whileOpen(() => readRejected(this.#engine.log.db, this.#engine.log.schema));
  }

  async syncClearRejected(commits?: string[]): Promise<number> {
    return this.#engine.whileOpen(() => clearRejected(this.#engine.log.db, commits));
  }

  async refreshStorage(): Promise<void> {
    this.#engine.assertOpen();
    await this.#engine.storage.refresh();
  }

  close(): Promise<void> {
    return this.#engine.close();
  }
}
