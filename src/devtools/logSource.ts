/**
 * The inspector's view of a store's log, read through the public Store API only, a page at
 * a time: the rows of the list (newest first), what is undone, and this client's undo and
 * redo stack.
 *
 * Invariants:
 * 1. Without filters, row i is position top - i (top: the head, or the position travelled
 *    to): a row's page is found by arithmetic and read with events({ after, limit }), so
 *    scrolling anywhere reads the pages shown, never the log before them.
 * 2. With a type or stream filter the rows are the matches newest first, read a page at a
 *    time with events({ reverse, before }) as the list nears their end; a text filter is
 *    applied to those pages (it needs the payload).
 * 3. A change of the log (a new head, a rebase, a compaction) drops the cached pages it may
 *    have changed (every position past the confirmed head before and after it), never the rest.
 */
import type { EventQuery, Store, StoreStatus } from '../api/store.ts';
import type { StoredEvent } from '../core/event.ts';
import { HistoryWalk, markerOf } from '../core/markers.ts';

export interface Filters {
  type?: string;
  stream?: string;
  text?: string;
}

/** Positions per page read without filters. */
const PAGE = 100;
/** Matches read per page with filters. */
const MATCH_PAGE = 200;
/** Pages kept in memory at most (about this many × PAGE events), those nearest the view. */
const MAX_PAGES = 50;
/** Events (of every client) a look at the undo and redo stack reads at most. */
const STACK_EVENTS = 2000;

export class LogSource {
  readonly #store: Store;
  readonly #changed: () => void;
  #status: StoreStatus;
  #travel: number | undefined;
  #filters: Filters = {};
  /** Unfiltered: pages of events by page index (invariant 1). */
  readonly #pages = new Map<number, StoredEvent[]>();
  readonly #loading = new Set<number>();
  /** Reads of pages in flight: a page is kept only at or below `stable`, what no log change since may have moved. */
  readonly #inFlight = new Set<{ stable: number }>();
  /** The last marker read's number: an older answer does not overwrite a newer one. */
  #markerReads = 0;
  /** Filtered: the matches read so far, newest first (invariant 2). */
  #matches: StoredEvent[] = [];
  #matchesDone = false;
  #matchesLoading = false;
  /** Filtered: where the next page of matches ends (its `before`). */
  #cursor: number | undefined;
  /** Each generation of filters or log: an answer for an older one is dropped. */
  #generation = 0;
  /** The last marker of each commit that has one: undone or redone. */
  #marked = new Map<string, 'undone' | 'redone'>();
  #closed = false;

  constructor(store: Store, changed: () => void) {
    this.#store = store;
    this.#changed = changed;
    this.#status = store.status;
  }

  /** Reads what decorates the rows (undone, redone): after the first page, which the list asks for first. */
  start(): void {
    void this.#readMarkers();
  }

  get status(): StoreStatus {
    return this.#status;
  }

  /** The compaction point: positions up to it are not in the local database; nothing reads below it. */
  get #compacted(): number {
    return this.#status.compacted ?? 0;
  }

  /** The newest position the list shows: the head, or the position travelled to. */
  get top(): number {
    return this.#travel ?? this.#status.head;
  }

  get travel(): number | undefined {
    return this.#travel;
  }

  get filtered(): boolean {
    return this.#filters.type !== undefined || this.#filters.stream !== undefined || this.#filters.text !== undefined;
  }

  /** Rows in the list now (with filters: those read so far). */
  get count(): number {
    if (this.filtered) return this.#matches.length;
    return Math.max(0, this.top - (this.#status.compacted ?? 0));
  }

  /** The event of row `i`, if read; undefined while its page loads. */
  row(i: number): StoredEvent | undefined {
    if (this.filtered) return this.#matches[i];
    const position = this.top - i;
    return this.#pages.get(Math.floor((position - 1) / PAGE))?.[(position - 1) % PAGE];
  }

  /** The row index of `position` (unfiltered), or undefined if it is not in the list. */
  indexOf(position: number): number | undefined {
    if (this.filtered) {
      const i = this.#matches.findIndex((e) => e.position === position);
      return i === -1 ? undefined : i;
    }
    const i = this.top - position;
    return i >= 0 && i < this.count ? i : undefined;
  }

  /** Whether this commit is undone, redone, or neither (by its last marker). */
  marked(commit: string): 'undone' | 'redone' | undefined {
    return this.#marked.get(commit);
  }

  /** Reads what rows first..last need (and, with filters, the next page near the end). */
  ensure(first: number, last: number): void {
    if (this.filtered) {
      if (last >= this.#matches.length - 20 && !this.#matchesDone) void this.#readMatches();
      return;
    }
    const low = this.top - Math.min(last, this.count - 1);
    const high = this.top - first;
    const from = Math.floor((low - 1) / PAGE);
    const to = Math.floor((high - 1) / PAGE);
    for (let page = from; page <= to; page++) {
      if (page >= 0 && !this.#pages.has(page) && !this.#loading.has(page)) void this.#readPage(page);
    }
    // The pages kept: those around the view, however far the list was scrolled.
    if (this.#pages.size > MAX_PAGES) {
      for (const page of this.#pages.keys()) if (page < from - MAX_PAGES / 2 || page > to + MAX_PAGES / 2) this.#pages.delete(page);
    }
  }

  setFilters(filters: Filters): void {
    this.#filters = filters;
    this.#resetMatches();
    this.#changed();
  }

  /** Shows the log as of `position` (undefined: now). */
  setTravel(position: number | undefined): void {
    this.#travel = position;
    this.#resetMatches();
    this.#changed();
  }

  /** The store's status changed: drop what the change may have made stale (invariant 3). */
  update(status: StoreStatus): void {
    const before = this.#status;
    this.#status = status;
    if (before.head === status.head && before.pending === status.pending && before.compacted === status.compacted) return;
    const stable = Math.min(before.head - before.pending, status.head - status.pending);
    for (const page of [...this.#pages.keys()]) if ((page + 1) * PAGE > stable) this.#pages.delete(page);
    for (const token of this.#inFlight) token.stable = Math.min(token.stable, stable);
    if (status.compacted !== before.compacted) this.#pages.clear();
    this.#resetMatches();
    void this.#readMarkers();
    this.#changed();
  }

  /** This client's next undo and redo targets, as the store would pick them (core/markers.ts HistoryWalk). */
  async undoStack(): Promise<{ undo: StoredEvent | undefined; redo: StoredEvent[] }> {
    const me = this.#store.clientId;
    const walk = new HistoryWalk((commit) => this.#marked.get(commit) === 'undone');
    const seen = new Map<string, StoredEvent>();
    let before: number | undefined;
    for (let read = 0; read < STACK_EVENTS; ) {
      const page = await this.#events(before === undefined ? { reverse: true, limit: 500 } : { reverse: true, limit: 500, before });
      if (page.length === 0) break;
      read += page.length;
      before = page[page.length - 1]!.position;
      let more = true;
      for (const e of page) {
        if (!seen.has(e.commit)) seen.set(e.commit, e);
        if (e.clientId !== me) continue;
        more = walk.feed(e);
        if (!more) break;
      }
      if (!more) break;
    }
    const first = (commit: string) => seen.get(commit);
    return {
      undo: walk.undoTarget === undefined ? undefined : first(walk.undoTarget),
      redo: walk.redoStack.map(first).filter((e) => e !== undefined),
    };
  }

  close(): void {
    this.#closed = true;
  }

  #resetMatches(): void {
    this.#generation++;
    this.#cursor = undefined;
    this.#matches = [];
    this.#matchesDone = false;
    this.#matchesLoading = false;
  }

  /** store.events(), never below the compaction point (a read there would fetch compacted history back from the server). */
  #events(query: EventQuery): Promise<StoredEvent[]> {
    if (this.#closed) return Promise.reject(new Error('the inspector was unmounted'));
    const compacted = this.#compacted;
    return this.#store.events(compacted > (query.after ?? 0) ? { ...query, after: compacted } : query);
  }

  async #readPage(page: number): Promise<void> {
    const token = { stable: Infinity };
    this.#inFlight.add(token);
    this.#loading.add(page);
    try {
      const after = Math.max(page * PAGE, this.#compacted);
      const events = await this.#events({ after, limit: (page + 1) * PAGE - after });
      if (this.#closed) return;
      const byIndex: StoredEvent[] = [];
      for (const e of events) if (e.position <= (page + 1) * PAGE) byIndex[(e.position - 1) % PAGE] = e;
      // Kept unless a change of the log since it was asked for may have moved what it holds.
      if ((page + 1) * PAGE <= token.stable) this.#pages.set(page, byIndex);
      this.#changed();
    } catch {
      // A store closed meanwhile: the rows stay empty.
    } finally {
      this.#inFlight.delete(token);
      this.#loading.delete(page);
    }
  }

  async #readMatches(): Promise<void> {
    if (this.#matchesLoading) return;
    this.#matchesLoading = true;
    const generation = this.#generation;
    const { type, stream, text } = this.#filters;
    const needle = text?.toLowerCase();
    try {
      // A text filter may drop a whole page: read on until something matches, a few pages at most.
      for (let pages = 0; pages < 5; pages++) {
        const query: EventQuery = { reverse: true, limit: MATCH_PAGE, before: this.#cursor ?? this.top + 1 };
        if (type !== undefined) query.type = type;
        if (stream !== undefined) query.stream = stream;
        const page = await this.#events(query);
        if (this.#closed || generation !== this.#generation) return;
        const kept = needle === undefined ? page : page.filter((e) => matchesText(e, needle));
        this.#matches.push(...kept);
        if (page.length < MATCH_PAGE) this.#matchesDone = true;
        else this.#cursor = page[page.length - 1]!.position;
        if (kept.length > 0 || this.#matchesDone) break;
      }
    } catch {
      if (generation === this.#generation) this.#matchesDone = true;
    } finally {
      if (generation === this.#generation) this.#matchesLoading = false;
    }
    if (!this.#closed) this.#changed();
  }

  async #readMarkers(): Promise<void> {
    const read = ++this.#markerReads;
    try {
      const markers = await this.#events({ type: ['$undo', '$redo'] });
      if (this.#closed || read !== this.#markerReads) return;
      const marked = new Map<string, 'undone' | 'redone'>();
      for (const e of markers) {
        const m = markerOf(e);
        if (m) marked.set(m.target, e.type === '$undo' ? 'undone' : 'redone');
      }
      this.#marked = marked;
      this.#changed();
    } catch {
      // Markers only decorate the rows.
    }
  }
}

function matchesText(e: StoredEvent, needle: string): boolean {
  const haystack = `${e.type} ${e.stream} ${JSON.stringify(e.payload) ?? ''} ${e.meta === undefined ? '' : JSON.stringify(e.meta)}`;
  return haystack.toLowerCase().includes(needle);
}
