/**
 * The other stores on the same database (other tabs, other workers), reached over one
 * BroadcastChannel: they hear when the log moved, and the leader's sync status.
 */
import type { SyncStatus } from '../sync/host.ts';

/** What stores on one database tell each other over their BroadcastChannel. */
export interface PeerMessage {
  /** The log grew or was rewritten: look again. */
  head?: number;
  epoch?: number;
  /** The leader's sync status, for the tabs that do not sync themselves. */
  sync?: SyncStatus;
}

export class Peers {
  readonly #channel: BroadcastChannel | undefined;
  /** Where the log is now: what tellMoved() sends. */
  readonly #position: () => { head: number; epoch: number };
  #told: ReturnType<typeof setTimeout> | undefined;

  constructor(name: string, onMessage: (message: PeerMessage | undefined) => void, position: () => { head: number; epoch: number }) {
    this.#channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel(`eventloom:${name}`) : undefined;
    if (this.#channel) this.#channel.onmessage = (m: MessageEvent<PeerMessage>) => onMessage(m.data);
    this.#position = position;
  }

  /**
   * Tells the other stores on this database that the log moved, after this task: the
   * callers' results go out first, and a burst of batches costs one post.
   */
  tellMoved(): void {
    if (!this.#channel || this.#told !== undefined) return;
    this.#told = setTimeout(() => this.#postMoved(), 0);
  }

  #postMoved(): void {
    clearTimeout(this.#told);
    this.#told = undefined;
    const { head, epoch } = this.#position();
    this.#channel?.postMessage({ head, epoch } satisfies PeerMessage);
  }

  post(message: PeerMessage): void {
    this.#channel?.postMessage(message);
  }

  /** Sends a tellMoved() still waiting for its task now. */
  flush(): void {
    if (this.#told !== undefined) this.#postMoved();
  }

  close(): void {
    this.#channel?.close();
  }
}
