/**
 * Compaction as the engine asks for it: the checks of compact()'s and createStore()'s
 * options, the automatic policy, and a request (survey first, then the op); the compaction
 * itself is ./compact.ts.
 */
import { InvalidEventError } from '../core/errors/index.ts';
import type { DropSurvey } from '../storage/compaction.ts';
import type { LogDb } from '../storage/schema.ts';
import type { CompactResult } from '../api/store.ts';
import { surveyDrop } from './compact.ts';

/** The automatic policy compacts once at least this many events (or keep / 4) can go. */
const MIN_AUTO_COMPACTION = 1000;

/** Where the automatic policy compacts to now (keeping about `keep` events, never pending ones), if anywhere. */
function autoCompactBefore(keep: number, head: number, pending: number, compacted: number): number | undefined {
  const before = Math.min(head - keep + 1, head - pending + 1);
  return before - 1 - compacted >= Math.max(MIN_AUTO_COMPACTION, keep / 4) ? before : undefined;
}

/**
 * The automatic policy (createStore({ compaction: { keep } })): after batches, in the
 * background, one compaction at a time. A point that could not move (a marker holds it, or
 * it failed) is tried again only after as many new events as a compaction needs, not after
 * every write.
 */
export class AutoCompaction {
  #running = false;
  #againAt = 0;

  constructor(private readonly keep: number) {}

  /** Compacts through `compact` if the view has enough events beyond `keep` to drop. */
  maybe(view: { head: number; pending: number; compacted: number }, compact: (before: number) => Promise<CompactResult>): void {
    if (this.#running || view.head < this.#againAt) return;
    const before = autoCompactBefore(this.keep, view.head, view.pending, view.compacted);
    if (before === undefined) return;
    this.#running = true;
    compact(before)
      .then(
        ({ removed }) => removed,
        () => 0,
      )
      .then((removed) => {
        if (removed === 0) this.#againAt = view.head + Math.max(1, Math.floor(this.keep / 4));
      })
      .finally(() => (this.#running = false));
  }
}

/** The automatic policy's `keep`, checked (createStore({ compaction: { keep } })). */
export function compactionKeep(option: unknown): number | undefined {
  if (option === undefined) return undefined;
  const keep = (option as { keep?: unknown } | null)?.keep;
  if (typeof keep !== 'number' || !Number.isInteger(keep) || keep < 1) {
    throw new TypeError(
      'createStore: compaction needs { keep: n }, a positive integer: about the newest n events stay in the local database',
    );
  }
  return keep;
}

export function validateCompact(options: unknown): number {
  const before = (options as { before?: unknown } | null | undefined)?.before;
  if (typeof before !== 'number' || !Number.isInteger(before) || before < 1) {
    throw new InvalidEventError(
      'compact() needs { before: position }, a positive integer: events at positions below it are dropped locally',
    );
  }
  return before;
}

/** What a compaction needs of the engine: its database, and its writer queue for the op. */
export interface CompactionHost {
  readonly log: { readonly db: LogDb };
  submit(body: { kind: 'compact'; before: number; survey: DropSurvey | undefined }): Promise<CompactResult & { seq: number }>;
}

/** compact({ before }), checked: surveys what it drops, then queues the op. */
export async function requestCompaction(engine: CompactionHost, before: number): Promise<CompactResult & { seq: number }> {
  // Counted first, outside the writer's queue: the op then holds appends up for milliseconds,
  // not for a read of every event it drops. (A survey that failed is only work not saved.)
  const survey = await surveyDrop(engine.log.db, before).catch(() => undefined);
  return engine.submit({ kind: 'compact', before, survey });
}
