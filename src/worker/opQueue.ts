/**
 * The engine's writer queue (engine invariant 1): calls wait here as ops and run one batch
 * at a time, up to MAX_BATCH in one transaction (group commit); an integration runs alone
 * (it rewrites the log, and its failure aborts its transaction). A catch-up (another store
 * wrote) is a batch of no calls.
 */
import { makeOp, type BodyOf, type Op, type OpKind, type Settled } from './ops.ts';

const MAX_BATCH = 1000;

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
      this.#ops.push(makeOp(body, resolve, reject) as Op);
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
      this.drained();
    });
  }
}
