/**
 * The inspector's summary of the store: sync (status, last synced, pending, last error,
 * rejected commits with their reasons), storage (use, quota, persistence, the compaction
 * point), and this client's undo and redo stack.
 */
import type { Store, StoreStatus } from '../api/store.ts';
import type { StoredEvent } from '../core/event.ts';
import { formatBytes, formatTime } from './format.ts';
import type { LogSource } from './logSource.ts';

export class Summary {
  readonly element: HTMLElement;
  readonly #store: Store;
  readonly #source: LogSource;
  /** Each refresh bumps it: answers of an older one are dropped. */
  #refreshes = 0;

  constructor(store: Store, source: LogSource) {
    this.#store = store;
    this.#source = source;
    this.element = document.createElement('section');
    this.element.className = 'summary';
    this.element.setAttribute('aria-label', 'Sync, storage and undo');
  }

  /** Shows `status`, then what needs a read (rejected commits, the undo stack) when it comes. */
  refresh(status: StoreStatus): void {
    const refresh = ++this.#refreshes;
    const el = this.element;
    el.replaceChildren();
    el.append(heading('sync'));
    const sync = list([
      ['status', status.sync],
      ['last synced', status.lastSyncedAt === undefined ? 'never' : formatTime(status.lastSyncedAt)],
      ['pending', String(status.pending)],
      ['behind the server', status.behind === undefined ? 'not known yet' : `${status.behind} events`],
      ['last error', status.lastError ? `${status.lastError.name}: ${status.lastError.message}` : 'none'],
    ]);
    el.append(sync);
    const rejected = document.createElement('ul');
    rejected.className = 'rejected';
    rejected.setAttribute('aria-label', 'Rejected commits');
    el.append(heading('rejected commits'), rejected);
    el.append(heading('storage'));
    const storage = status.storage;
    el.append(
      list([
        ['use', storage ? `${formatBytes(storage.usage)} of ${formatBytes(storage.quota)}` : 'not reported'],
        ['persistent', storage ? (storage.persisted ? 'yes' : 'no') : 'not reported'],
        ['compacted to', status.compacted === undefined ? 'nothing compacted' : `position ${status.compacted}`],
        ['head', String(status.head)],
      ]),
    );
    el.append(heading('undo and redo (this client)'));
    const stack = list([
      ['can undo', status.canUndo ? 'yes' : 'no'],
      ['can redo', status.canRedo ? 'yes' : 'no'],
    ]);
    el.append(stack);
    if (status.sync !== 'off') {
      this.#store.sync.rejected().then(
        (commits) => {
          if (refresh !== this.#refreshes) return;
          if (commits.length === 0) rejected.append(item('none'));
          for (const c of commits)
            rejected.append(item(`${c.commit.slice(0, 8)} (${c.events.length} events): ${c.reason.name}: ${c.reason.message}`));
        },
        () => undefined,
      );
    } else rejected.append(item('no sync'));
    this.#source.undoStack().then(
      ({ undo, redo }) => {
        if (refresh !== this.#refreshes) return;
        stack.append(term('undo next'), definition(undo ? describe(undo) : 'nothing'));
        stack.append(term('redo next'), definition(redo.length > 0 ? redo.map(describe).join('; then ') : 'nothing'));
      },
      () => undefined,
    );
  }
}

function describe(e: StoredEvent): string {
  return `${e.type} at ${e.position} (commit ${e.commit.slice(0, 8)})`;
}

function heading(text: string): HTMLElement {
  const h = document.createElement('h3');
  h.textContent = text;
  return h;
}

function term(text: string): HTMLElement {
  const dt = document.createElement('dt');
  dt.textContent = text;
  return dt;
}

function definition(text: string): HTMLElement {
  const dd = document.createElement('dd');
  dd.textContent = text;
  return dd;
}

function list(entries: [string, string][]): HTMLElement {
  const dl = document.createElement('dl');
  for (const [name, value] of entries) dl.append(term(name), definition(value));
  return dl;
}

function item(text: string): HTMLElement {
  const li = document.createElement('li');
  li.textContent = text;
  return li;
}
