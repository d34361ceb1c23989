/**
 * The inspector's log list: a virtual list (only the rows in view, and a few around them, are
 * in the DOM, however long the log), newest first, driven by the keyboard as a listbox.
 */
import type { StoredEvent } from '../core/event.ts';
import { formatClient, formatTime, preview } from './format.ts';
import type { LogSource } from './logSource.ts';

/** Each row's height in pixels (fixed: the list's height is count × ROW). */
const ROW = 24;
/** Rows rendered above and below the visible ones. */
const OVERSCAN = 10;
/** Rows rendered at most, however tall the list (its page may not bound its height). */
const MAX_VISIBLE = 100;

export class LogList {
  readonly element: HTMLElement;
  readonly #spacer: HTMLElement;
  readonly #rows: HTMLElement;
  readonly #source: LogSource;
  readonly #clientId: string;
  readonly #onSelect: (event: StoredEvent | undefined) => void;
  /** The selected event's position (undefined: nothing selected). */
  #selectedPosition: number | undefined;
  #scheduled = false;
  /** What the event pane was last given for the selection (its event's id, position, state). */
  #shownKey = 'none:undefined';
  #closed = false;

  constructor(init: { source: LogSource; clientId: string; onSelect: (event: StoredEvent | undefined) => void }) {
    this.#source = init.source;
    this.#clientId = init.clientId;
    this.#onSelect = init.onSelect;
    const doc = document;
    this.element = doc.createElement('div');
    this.element.className = 'list';
    this.element.tabIndex = 0;
    this.element.setAttribute('role', 'listbox');
    this.element.setAttribute('aria-label', 'Events, newest first');
    this.#spacer = doc.createElement('div');
    this.#spacer.className = 'spacer';
    this.#rows = doc.createElement('div');
    this.#rows.className = 'rows';
    this.#spacer.append(this.#rows);
    this.element.append(this.#spacer);
    this.element.addEventListener('scroll', () => this.render());
    this.element.addEventListener('keydown', (e) => this.#key(e));
    this.element.addEventListener('click', (e) => {
      const row = (e.target as HTMLElement).closest<HTMLElement>('[data-index]');
      if (row) this.select(Number(row.dataset['index']));
    });
  }

  /** The selected row's event, if read. */
  get selected(): StoredEvent | undefined {
    const index = this.#selectedIndex();
    return index === undefined ? undefined : this.#source.row(index);
  }

  /**
   * Renders once the current task's changes are in (many changes in one task render once),
   * not on the next frame: a page that arrives is on screen without waiting up to a frame.
   */
  schedule(): void {
    if (this.#scheduled || this.#closed) return;
    this.#scheduled = true;
    queueMicrotask(() => {
      this.#scheduled = false;
      if (!this.#closed) this.render();
    });
  }

  render(): void {
    const count = this.#source.count;
    this.#spacer.style.height = `${count * ROW}px`;
    // A list its page did not give a height renders a screenful, not every row.
    const height = Math.min(this.element.clientHeight || ROW * 20, ROW * MAX_VISIBLE);
    const first = Math.max(0, Math.floor(this.element.scrollTop / ROW) - OVERSCAN);
    const last = Math.min(count - 1, Math.ceil((this.element.scrollTop + height) / ROW) + OVERSCAN);
    this.#source.ensure(first, last);
    const selected = this.#selectedIndex();
    const rows: HTMLElement[] = [];
    for (let i = first; i <= last; i++) rows.push(this.#row(i, count, i === selected));
    this.#rows.style.transform = `translateY(${first * ROW}px)`;
    this.#rows.replaceChildren(...rows);
    this.element.setAttribute('aria-busy', String(rows.some((r) => r.classList.contains('loading'))));
    if (selected !== undefined && selected >= first && selected <= last) {
      this.element.setAttribute('aria-activedescendant', `row-${this.#selectedPosition}`);
    } else this.element.removeAttribute('aria-activedescendant');
    // The selected event, once read (it may arrive after the selection), or when it changed
    // (confirmed, undone): not again for the same event re-read.
    const event = selected === undefined ? undefined : this.#source.row(selected);
    const key = event
      ? `${event.id}:${event.position}:${event.pending}:${this.#source.marked(event.commit) ?? ''}`
      : `none:${this.#selectedPosition}`;
    if (key !== this.#shownKey) {
      this.#shownKey = key;
      this.#onSelect(event);
    }
  }

  /** Selects row `index` and scrolls it into view. */
  select(index: number): void {
    const count = this.#source.count;
    if (count === 0) return;
    const i = Math.max(0, Math.min(count - 1, index));
    this.#selectedPosition = this.#source.filtered ? this.#source.row(i)?.position : this.#source.top - i;
    this.#shownKey = ''; // an explicit selection shows its event again (the panel may have travelled)
    const top = i * ROW;
    if (top < this.element.scrollTop) this.element.scrollTop = top;
    else if (top + ROW > this.element.scrollTop + this.element.clientHeight) this.element.scrollTop = top + ROW - this.element.clientHeight;
    this.render();
  }

  /** Selects the row of `position` (if it is in the list). */
  jumpTo(position: number): boolean {
    const index = this.#source.indexOf(position);
    if (index === undefined) return false;
    this.select(index);
    return true;
  }

  /** Back to the top with nothing selected (the rows changed: new filters). */
  reset(): void {
    this.#selectedPosition = undefined;
    this.#shownKey = '';
    this.element.scrollTop = 0;
    this.schedule();
  }

  close(): void {
    this.#closed = true;
  }

  /** The selected event's row now (the selection follows its event when new ones arrive above it). */
  #selectedIndex(): number | undefined {
    return this.#selectedPosition === undefined ? undefined : this.#source.indexOf(this.#selectedPosition);
  }

  #row(i: number, count: number, selected: boolean): HTMLElement {
    const row = document.createElement('div');
    row.className = 'row';
    row.dataset['index'] = String(i);
    row.setAttribute('role', 'option');
    row.setAttribute('aria-selected', String(selected));
    row.setAttribute('aria-setsize', this.#source.filtered ? '-1' : String(count));
    row.setAttribute('aria-posinset', String(i + 1));
    const e = this.#source.row(i);
    const position = e?.position ?? (this.#source.filtered ? undefined : this.#source.top - i);
    if (position !== undefined) row.id = `row-${position}`;
    if (!e) {
      row.classList.add('loading');
      row.textContent = '…';
      row.setAttribute('aria-label', position === undefined ? 'Loading' : `Position ${position}, loading`);
      return row;
    }
    const marked = this.#source.marked(e.commit);
    if (marked) row.classList.add(marked);
    if (e.pending) row.classList.add('pending');
    const marker = e.type === '$undo' || e.type === '$redo';
    const cells: [string, string][] = [
      ['pos', String(e.position)],
      ['time', formatTime(e.time)],
      ['client', formatClient(e.clientId, this.#clientId)],
      ['type', e.type],
      ['stream', e.stream],
      ['state', `${e.pending ? 'pending' : 'confirmed'}${marked ? ` · ${marked}` : ''}`],
      ['payload', marker ? `→ ${String((e.payload as { commit?: unknown } | null)?.commit ?? '').slice(0, 8)}` : preview(e.payload, 60)],
    ];
    for (const [name, text] of cells) {
      const cell = document.createElement('span');
      cell.className = name;
      cell.textContent = text;
      row.append(cell);
    }
    row.setAttribute(
      'aria-label',
      `Position ${e.position}, ${e.type} in ${e.stream}, ${cells[2]![1]}, ${cells[5]![1]}, ${formatTime(e.time)}`,
    );
    return row;
  }

  #key(e: KeyboardEvent): void {
    if (e.ctrlKey || e.altKey || e.metaKey) return;
    const at = this.#selectedIndex() ?? -1;
    const page = Math.max(1, Math.floor(this.element.clientHeight / ROW) - 1);
    const moves: Record<string, number | undefined> = {
      ArrowDown: at + 1,
      ArrowUp: Math.max(0, at - 1),
      PageDown: at + page,
      PageUp: Math.max(0, at - page),
      Home: 0,
      End: this.#source.count - 1,
    };
    const to = moves[e.key];
    if (to === undefined && e.key !== 'Enter') return;
    e.preventDefault();
    this.select(to ?? Math.max(0, at));
  }
}
