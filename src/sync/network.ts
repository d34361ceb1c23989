/**
 * Whether the sync loop may use the network: not while navigator.onLine is false, and not from
 * an offline event (this realm's own, or the page's forwarded to a worker, where Chromium fires
 * none) until the next online event. An online event that never came (a page frozen or in the
 * back/forward cache when the network returned) does not keep it offline: once navigator.onLine
 * has been seen false and then true again, the offline event is over.
 */
export class NetworkState {
  /** What the last online/offline event said; undefined before any, or once navigator.onLine came back. */
  #event: boolean | undefined;
  /** navigator.onLine was seen false since the last offline event. */
  #sawOffline = false;

  /** An online (true) or offline (false) event; whether it changed what the last one said. */
  event(online: boolean): boolean {
    if (typeof online !== 'boolean') throw new TypeError('network() needs true (online) or false (offline)');
    if (this.#event === online) return false;
    this.#event = online;
    this.#sawOffline = false;
    return true;
  }

  get online(): boolean {
    const onLine = (globalThis as { navigator?: { onLine?: boolean } }).navigator?.onLine !== false;
    if (!onLine) {
      this.#sawOffline = true;
      return false;
    }
    if (this.#sawOffline && this.#event === false) this.#event = undefined; // back online, with or without the event
    this.#sawOffline = false;
    return this.#event !== false;
  }
}
