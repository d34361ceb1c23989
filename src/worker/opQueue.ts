/**
 * The engine's writer queue (engine invariant 1): the operations it runs, each kind with
 * its body and the result its call resolves with (plus the `seq` of the change that
 * includes it). Calls wait here as ops and run one batch at a time, up to MAX_BATCH in one
 * transaction (group commit); an integration runs alone (it rewrites the log, and its
 * failure aborts its transaction). A catch-up (another store wrote) is a batch of no calls.
 */
import type { StoredEvent, ValidInputs } from '../core/event.ts';
import type { DropSurvey } from '../storage/compaction.ts';
import type { IntegrateInput, IntegrateResult } from '../sync/host.ts';
import type { CompactResult } from '../api/store.ts';
import type { integrate } from './integrate.ts';
import type { RestoredEvent } from './restore.ts';

const MAX_BATCH = 1000;

type OpBody =
  | { kind: 'append'; input: ValidInputs }
  | { kind: 'undo' }
  | { kind: 'redo' }
  | { kind: 'revert'; commit: string }
  /** `run`: ./integrate.ts's integrate, loaded with the sync module (./syncBridge.ts): a store without sync does not carry it. */
  | { kind: 'integrate'; input: IntegrateInput; run: typeof integrate }
  /** `survey`: what ./compact.ts surveyDrop counted before the op was queued. */
  | { kind: 'compact'; before: number; survey: DropSurvey | undefined }
  | { kind: 'restore'; from: number; events: RestoredEvent[] }
  /** Nothing but the batch's catch-up: for one that needed history, run again after it came. */
  | { kind: 'catchUp' };

export interface OpResults {
  append: { events: StoredEvent[] };
  undo: { done: boolean };
  redo: { done: boolean };
  revert: object;
  integrate: { integrated: IntegrateResult };
  compact: CompactResult;
  restore: { compacted: number };
  catchUp: object;
}

export type OpKind = OpBody['kind'];
export type BodyOf<K extends OpKind> = Extract<OpBody, { kind: K }>;
/** What a call resolves with: its op's result and the seq of the change that includes it. */
export type Settled<K extends OpKind> = OpResults[K] & { seq: number };

/** An op in the queue: its body, what the batch left on it, and how its call is settled. */
export type Op<K extends OpKind = OpKind> = K extends OpKind
  ? BodyOf<K> & {
      /** Set by the batch when the op succeeded (kept only if the transaction commits). */
      result?: OpResults[K];
      /** Set by the batch when the op failed alone (the others of the batch go on). */
      error?: unknown;
      /** Resolves the call with `result` and the seq of the change that includes it. */
      settle(seq: number): void;
      reject(error: unknown): void;
    }
  : never;

export class OpQueue {
  #ops: Op[] = [];
  #chain: Promise<void> = Promise.resolve();
  #draining = false;
  #catchUpWanted = false;
  #started = false;

  /**
   * `run` runs one batch and settles its calls (it must not throw; if it does, every call of
   * the batch is rejected so that one failure cannot jam the queue); `drained` is called
   * each time the queue runs empty.
   */
  constructor(
    private readonly run: (batch: Op[]) => Promise<void>,
    private readonly drained: () => void,
  ) {}

  submit<K extends OpKind>(body: BodyOf<K>): Promise<Settled<K>> {
    return new Promise((resolve, reject) => {
      const slot: { result?: OpResults[K]; settle(seq: number): void; reject(error: unknown): void } = {
        settle: (seq) => resolve({ ...(slot.result as OpResults[K]), seq }),
        reject,
      };
      // The body and the slot make exactly one member of the Op union (the one of kind K).
      this.#ops.push(Object.assign(slot, body) as unknown as Op);
      this.#schedule();
    });
  }

  /** Runs a batch of no calls (another store wrote; start-up may have missed its message). */
  catchUp(): void {
    this.#catchUpWanted = true;
    this.#schedule();
  }

  /** Batches run only once the engine has loaded its view; then a first catch-up runs. */
  start(): void {
    this.#started = true;
    this.catchUp();
  }

  /** No call waits and no batch runs. */
  get idle(): boolean {
    return this.#ops.length === 0 && !this.#draining;
  }

  /** Resolves once every call queued before it has run. */
  settled(): Promise<void> {
    return this.#chain;
  }

  #schedule(): void {
    if (this.#draining) return;
    this.#draining = true;
    this.#chain = this.#chain.then(async () => {
      try {
        while ((this.#ops.length > 0 || this.#catchUpWanted) && this.#started) {
          this.#catchUpWanted = false;
          const first = this.#ops.findIndex((op) => op.kind === 'integrate');
          const batch = first === 0 ? this.#ops.splice(0, 1) : this.#ops.splice(0, first === -1 ? MAX_BATCH : Math.min(first, MAX_BATCH));
          try {
            await this.run(batch);
          } catch (error) {
            for (const op of batch) op.reject(error); // a bug's last line of defence
          }
        }
      } finally {
        this.#draining = false;
      }
      if (this.#started) this.drained();
    });
  }
}
