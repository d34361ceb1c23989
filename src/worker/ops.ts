/**
 * The operations the engine's writer runs (./opQueue.ts, ./batch.ts): each kind with its
 * body and the result its call resolves with (plus the `seq` of the change that includes it).
 */
import type { ValidInputs } from '../core/event.ts';
import type { StoredEvent } from '../core/event.ts';
import type { DropSurvey } from '../storage/compaction.ts';
import type { IntegrateInput, IntegrateResult } from '../sync/host.ts';
import type { compactLog } from './compact.ts';
import type { CompactResult } from './compactPolicy.ts';
import type { RestoredEvent } from './restore.ts';

type OpBody =
  | { kind: 'append'; input: ValidInputs }
  | { kind: 'undo' }
  | { kind: 'redo' }
  | { kind: 'revert'; commit: string }
  | { kind: 'integrate'; input: IntegrateInput }
  /** `run`: ./compact.ts's compactLog, loaded by the engine before the op is queued, with what it surveyed first. */
  | { kind: 'compact'; before: number; run: typeof compactLog; survey: DropSurvey | undefined }
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

/** An op for `body` whose call settles through `resolve` and `reject`. */
export function makeOp<K extends OpKind>(body: BodyOf<K>, resolve: (value: Settled<K>) => void, reject: (error: unknown) => void): Op<K> {
  const slot: { result?: OpResults[K]; settle(seq: number): void; reject(error: unknown): void } = {
    settle: (seq) => resolve({ ...(slot.result as OpResults[K]), seq }),
    reject,
  };
  // The body and the slot make exactly one member of the Op union (the one of kind K).
  return Object.assign(slot, body) as unknown as Op<K>;
}
