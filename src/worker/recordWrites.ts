/**
 * A batch's record writes, issued without waiting for each (IndexedDB runs a transaction's
 * requests in order, so later reads see them): a group commit costs one transaction, not one
 * round trip per append. Belongs to the batch's transaction (./batch.ts), not to the view.
 */
import type { LogDb, LogRecord } from '../storage/schema.ts';

export class RecordWrites {
  #unwritten: LogRecord[] = [];
  readonly #issued: Promise<unknown>[] = [];

  /** `db`: bound to the batch's transaction; undefined for a batch that issues its writes itself (./batch.ts runPlainBatch). */
  constructor(private readonly db: LogDb | undefined) {}

  /** Queues the write of a record (the last step of an operation, which cannot fail after it). */
  add(record: LogRecord): void {
    this.#unwritten.push(record);
  }

  /**
   * Issues the queued writes as one bulkAdd (far cheaper than an add per commit). Called
   * before anything that may read the log, so that reads see every earlier write.
   */
  flush(): void {
    if (this.#unwritten.length === 0 || !this.db) return;
    const request = this.db.records.bulkAdd(this.#unwritten);
    this.#unwritten = [];
    request.catch(() => undefined); // awaited with the others in settle(); a failure aborts the batch
    this.#issued.push(request);
  }

  /** The queued writes, for a batch that issues them itself (./batch.ts runPlainBatch). */
  take(): LogRecord[] {
    const records = this.#unwritten;
    this.#unwritten = [];
    return records;
  }

  /** Issues and waits for every write of the batch. */
  async settle(): Promise<void> {
    this.flush();
    await Promise.all(this.#issued);
  }
}
