/**
 * The background slicer (storage/slicer.ts): once a group's worth of confirmed events is not
 * sliced yet, and the store has been quiet for SLICE_QUIET_MS (no call, no sync round), it
 * slices one group per transaction: a burst of writes or a pull runs at full speed, and a
 * call that comes while slicing waits for one step at most.
 */
import { Dexie } from 'dexie';
import type { LogDb } from '../storage/schema.ts';
import { GROUP_EVENTS, sliceNext } from '../storage/slicer.ts';

/** How long the store must be quiet before the background slicer starts. */
const SLICE_QUIET_MS = 1000;

export class BackgroundSlicer {
  #timer: ReturnType<typeof setTimeout> | undefined;
  #running: Promise<void> | undefined;
  /** How far the log was last found sliced (-Infinity: look again). */
  #slicedThrough = -Infinity;

  /** `quiet`: nothing else runs (no call queued or running, no sync round, not closed). */
  constructor(
    private readonly db: LogDb,
    private readonly quiet: () => boolean,
  ) {}

  /** After a batch or a sync round: schedules slicing if `confirmedHead` leaves a group unsliced. */
  schedule(confirmedHead: number): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#running || confirmedHead - this.#slicedThrough < GROUP_EVENTS) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (!this.#running && this.quiet()) this.#running = this.#run().finally(() => (this.#running = undefined));
    }, SLICE_QUIET_MS);
  }

  /** Compaction moved the sliced point (storage/slicer.ts): look again. */
  forget(): void {
    this.#slicedThrough = -Infinity;
  }

  async #run(): Promise<void> {
    const db = this.db;
    try {
      while (this.quiet()) {
        // A transaction of its own, never nested in the one of the batch that called us.
        const step = await Dexie.ignoreTransaction(() => db.transaction('rw', db.records, db.slices, db.meta, () => sliceNext(db)));
        this.#slicedThrough = step.through;
        if (!step.sliced) break;
      }
    } catch {
      // Slices only make queries cheaper: a step that failed (a full disk, a closing
      // database) is tried again after the next write.
    }
  }

  /** Stops scheduling and waits for a step in flight. */
  async close(): Promise<void> {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }
}
