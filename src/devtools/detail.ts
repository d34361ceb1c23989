/**
 * The inspector's event pane: one event's envelope, payload and meta; the chosen
 * projection's state at its position (store.stateAt) with what changed from the position
 * before it; travel to that position and back; revert of its commit, confirmed first.
 */
import type { Store } from '../api/store.ts';
import type { StoredEvent } from '../core/event.ts';
import { diffPaths, type PathChange } from './diffPaths.ts';
import { formatClient, formatJson, formatTime, preview } from './format.ts';

/** How long the state read waits after a selection (a burst of selections reads once). */
const STATE_DELAY_MS = 80;

export interface DetailHost {
  store: Store;
  projections: readonly string[];
  projection: string | undefined;
  /** Travels the whole panel to a position (undefined: back to now). */
  travel(position: number | undefined): void;
  travelling(): number | undefined;
  /** Whether the commit is undone (so revert has nothing to do). */
  marked(commit: string): 'undone' | 'redone' | undefined;
}

export class Detail {
  readonly element: HTMLElement;
  readonly #host: DetailHost;
  #event: StoredEvent | undefined;
  #projection: string | undefined;
  /** Each show() bumps it: an answer for an event no longer shown is dropped. */
  #shown = 0;
  /** The state read waits a moment: holding an arrow key down does not queue a replay per row. */
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(host: DetailHost) {
    this.#host = host;
    this.#projection = host.projection ?? host.projections[0];
    this.element = document.createElement('section');
    this.element.className = 'detail';
    this.element.setAttribute('aria-label', 'Selected event');
    this.show(undefined);
  }

  /** Stops a state read that was waiting to start (the panel is unmounted). */
  close(): void {
    clearTimeout(this.#timer);
    this.#shown++;
  }

  show(event: StoredEvent | undefined): void {
    this.#event = event;
    const shown = ++this.#shown;
    const el = this.element;
    el.replaceChildren();
    if (!event) {
      el.append(text('p', 'Select an event (click it, or the arrow keys and Enter in the list).', 'hint'));
      return;
    }
    el.append(text('h2', `${event.type} · position ${event.position}`));
    const facts = document.createElement('dl');
    const fact = (name: string, value: string) => facts.append(text('dt', name), text('dd', value));
    fact('time', formatTime(event.time));
    fact('stream', event.stream);
    fact('client', `${formatClient(event.clientId, this.#host.store.clientId)} (${event.clientId})`);
    fact('commit', event.commit);
    fact('id', event.id);
    fact(
      'state',
      `${event.pending ? 'pending' : 'confirmed'}${this.#host.marked(event.commit) ? ` · ${this.#host.marked(event.commit)}` : ''}`,
    );
    el.append(facts);
    el.append(text('h3', 'payload'), text('pre', formatJson(event.payload), 'json'));
    if (event.meta !== undefined) el.append(text('h3', 'meta'), text('pre', formatJson(event.meta), 'json'));
    el.append(this.#actions(event));
    if (this.#projection !== undefined) el.append(this.#statePane(event, shown));
  }

  #actions(event: StoredEvent): HTMLElement {
    const bar = document.createElement('div');
    bar.className = 'actions';
    const travelling = this.#host.travelling();
    const travel = button(travelling === event.position ? 'Back to now' : 'Travel here', () =>
      this.#host.travel(travelling === event.position ? undefined : event.position),
    );
    travel.dataset['action'] = 'travel';
    bar.append(travel);
    const marker = event.type === '$undo' || event.type === '$redo';
    if (!marker && this.#host.marked(event.commit) !== 'undone') {
      const revert = button('Revert this commit…', () => {
        // Two steps: the first click asks, the second reverts.
        if (revert.dataset['confirm'] !== 'yes') {
          revert.dataset['confirm'] = 'yes';
          revert.textContent = `Confirm: revert commit ${event.commit.slice(0, 8)}`;
          return;
        }
        revert.disabled = true;
        this.#host.store.revert(event.commit).then(
          () => (revert.textContent = 'Reverted'),
          (error: unknown) => (revert.textContent = `Could not revert: ${(error as Error).message}`),
        );
      });
      revert.dataset['action'] = 'revert';
      bar.append(revert);
    }
    return bar;
  }

  #statePane(event: StoredEvent, shown: number): HTMLElement {
    const pane = document.createElement('div');
    pane.className = 'state';
    const select = document.createElement('select');
    select.setAttribute('aria-label', 'Projection');
    for (const name of this.#host.projections) {
      const option = document.createElement('option');
      option.value = name;
      option.textContent = name;
      option.selected = name === this.#projection;
      select.append(option);
    }
    select.addEventListener('change', () => {
      // Only the state below is redrawn: the select keeps its focus.
      this.#projection = select.value;
      const event = this.#event;
      if (!event) return;
      const next = this.#statePane(event, ++this.#shown);
      pane.replaceWith(next);
      next.querySelector('select')?.focus();
    });
    const heading = text('h3', `state at position ${event.position}`);
    const changes = document.createElement('ul');
    changes.className = 'changes';
    changes.setAttribute('aria-label', 'What this event changed');
    const state = text('pre', 'reading…', 'json');
    pane.append(heading, select, text('h3', 'changed'), changes, state);
    const name = this.#projection!;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#readState(event, name, shown, state, changes), STATE_DELAY_MS);
    return pane;
  }

  #readState(event: StoredEvent, name: string, shown: number, state: HTMLElement, changes: HTMLElement): void {
    if (shown !== this.#shown) return;
    const { store } = this.#host;
    Promise.all([store.stateAt(name, { position: event.position }), store.stateAt(name, { position: event.position - 1 })]).then(
      ([after, before]) => {
        if (shown !== this.#shown) return;
        state.textContent = formatJson(after);
        const list = diffPaths(before, after);
        if (list.length === 0) changes.append(text('li', 'nothing', 'same'));
        for (const change of list) changes.append(changeItem(change));
      },
      (error: unknown) => {
        if (shown === this.#shown) state.textContent = `Could not read the state: ${(error as Error).message}`;
      },
    );
  }
}

function changeItem(change: PathChange): HTMLElement {
  const item = text('li', '', change.kind);
  item.dataset['path'] = change.path;
  const what =
    change.kind === 'added'
      ? `+ ${preview(change.after)}`
      : change.kind === 'removed'
        ? `− ${preview(change.before)}`
        : `${preview(change.before)} → ${preview(change.after)}`;
  item.append(text('code', change.path || '(the whole state)'), document.createTextNode(` ${change.kind}: ${what}`));
  return item;
}

function text(tag: string, content: string, className?: string): HTMLElement {
  const el = document.createElement(tag);
  el.textContent = content;
  if (className) el.className = className;
  return el;
}

export function button(label: string, onClick: () => void): HTMLButtonElement {
  const b = document.createElement('button');
  b.type = 'button';
  b.textContent = label;
  b.addEventListener('click', onClick);
  return b;
}
