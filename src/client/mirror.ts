/**
 * The main thread's copy of what the engine announced: the head state of every projection
 * and the status, so get() and status are synchronous. Calls resolve once the mirror has
 * reached the seq their result names (engine invariant 3).
 */
import { applyPatch } from '../core/patch.ts';
import type { Change, ChangeMessage } from '../api/contract.ts';
import type { StoreStatus } from '../api/store.ts';
import { sameStatus } from './sameStatus.ts';
import { getOrSet } from '../core/maps.ts';

export class Mirror {
  seq: number;
  status: StoreStatus;
  readonly states: Map<string, unknown>;
  readonly #subscribers = new Map<string, Set<(state: unknown) => void>>();
  readonly #statusListeners = new Set<(status: StoreStatus) => void>();
  #waiters: { seq: number; resolve: () => void }[] = [];

  constructor(opened: { seq: number; states: Record<string, unknown>; status: StoreStatus }) {
    this.seq = opened.seq;
    this.status = opened.status;
    this.states = new Map(Object.entries(opened.states));
  }

  apply(change: Change): void {
    if (change.seq <= this.seq) return;
    this.seq = change.seq;
    for (const [name, state] of Object.entries(change.states)) this.states.set(name, state);
    const statusChanged = !sameStatus(this.status, change.status);
    this.status = change.status;
    for (const [name, state] of Object.entries(change.states)) {
      for (const listener of [...(this.#subscribers.get(name) ?? [])]) call(listener, state);
    }
    if (statusChanged) for (const listener of [...this.#statusListeners]) call(listener, change.status);
    const ready = this.#waiters.filter((w) => w.seq <= this.seq);
    this.#waiters = this.#waiters.filter((w) => w.seq > this.seq);
    for (const w of ready) w.resolve();
  }

  /** A change as worker mode posts it: each patch applied to the state this mirror holds. */
  applyMessage(message: ChangeMessage): void {
    if (message.seq <= this.seq) return;
    const states: Record<string, unknown> = {};
    for (const [name, patch] of message.patches) states[name] = applyPatch(this.states.get(name), patch);
    this.apply({ seq: message.seq, states, status: message.status });
  }

  /** Resolves once the mirror includes change `seq`. */
  reach(seq: number): Promise<void> {
    if (seq <= this.seq) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ seq, resolve }));
  }

  subscribe(name: string, listener: (state: unknown) => void): () => void {
    const set = getOrSet(this.#subscribers, name, () => new Set());
    set.add(listener);
    return () => void set.delete(listener);
  }

  onStatus(listener: (status: StoreStatus) => void): () => void {
    this.#statusListeners.add(listener);
    return () => void this.#statusListeners.delete(listener);
  }

  clear(): void {
    this.#subscribers.clear();
    this.#statusListeners.clear();
    for (const w of this.#waiters) w.resolve();
    this.#waiters = [];
  }
}

function call<T>(listener: (value: T) => void, value: T): void {
  try {
    listener(value);
  } catch (error) {
    // A subscriber's exception must not stop the others; report it where it can be seen.
    const report = (globalThis as { reportError?: (e: unknown) => void }).reportError;
    if (report) report(error);
    else console.error('eventloom: a listener threw', error);
  }
}
