import { createStore, type StoredEvent } from 'eventloom';
import type { Todo } from './todos.ts';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const error = $<HTMLParagraphElement>('error');

function showError(e: unknown): void {
  error.textContent = `Something went wrong: ${(e as Error)?.message ?? String(e)}`;
  error.hidden = false;
}
window.addEventListener('unhandledrejection', (e) => showError(e.reason));

declare const __SYNC_URL__: string | undefined;
const syncUrl = typeof __SYNC_URL__ === 'string' ? __SYNC_URL__ : 'http://127.0.0.1:8787';

const store = await createStore({
  name: 'eventloom-example',
  worker: new Worker(new URL('./store.worker.ts', import.meta.url), { type: 'module' }),
  sync: { url: syncUrl, logId: 'example' },
});

function run(action: () => Promise<unknown>): void {
  error.hidden = true;
  action().catch(showError);
}

function renderTodos(list: Todo[], into: HTMLUListElement, interactive: boolean): void {
  into.replaceChildren(
    ...list.map((todo) => {
      const li = document.createElement('li');
      const box = document.createElement('input');
      box.type = 'checkbox';
      box.checked = todo.done;
      box.disabled = !interactive;
      box.id = `${into.id}-${todo.id}`;
      box.addEventListener('change', () => run(() => store.append({ type: 'todo.toggled', payload: { id: todo.id } })));
      const label = document.createElement('label');
      label.htmlFor = box.id;
      label.textContent = todo.title;
      li.append(box, label);
      if (interactive) {
        const remove = document.createElement('button');
        remove.type = 'button';
        remove.textContent = 'Remove';
        remove.setAttribute('aria-label', `Remove ${todo.title}`);
        remove.addEventListener('click', () => run(() => store.append({ type: 'todo.removed', payload: { id: todo.id } })));
        li.append(remove);
      }
      return li;
    }),
  );
}

function describe(e: StoredEvent): string {
  const p = e.payload as { id?: string; title?: string; commit?: string };
  switch (e.type) {
    case 'todo.added':
      return `added “${p.title}”`;
    case 'todo.toggled':
      return `toggled ${p.id}`;
    case 'todo.removed':
      return `removed ${p.id}`;
    case '$undo':
      return `undid commit ${p.commit?.slice(-6)}`;
    case '$redo':
      return `redid commit ${p.commit?.slice(-6)}`;
    default:
      return e.type;
  }
}

async function renderLog(): Promise<void> {
  const events = await store.events({ reverse: true, limit: 50 });
  $<HTMLUListElement>('log').replaceChildren(
    ...events.map((e) => {
      const li = document.createElement('li');
      li.textContent = `#${e.position} ${new Date(e.time).toLocaleTimeString()} ${describe(e)} `;
      if (!e.type.startsWith('$')) {
        const revert = document.createElement('button');
        revert.type = 'button';
        revert.textContent = 'Revert';
        revert.setAttribute('aria-label', `Revert change #${e.position}`);
        revert.addEventListener('click', () => run(() => store.revert(e.commit)));
        li.append(revert);
      }
      return li;
    }),
  );
}

const travel = $<HTMLInputElement>('travel');
async function renderPast(): Promise<void> {
  const position = Number(travel.value);
  $<HTMLOutputElement>('travel-at').textContent = `${position} of ${store.status.head}`;
  renderTodos(await store.stateAt<Todo[]>('todos', { position }), $('past'), false);
}

function render(): void {
  const list = store.get<Todo[]>('todos');
  renderTodos(list, $('list'), true);
  $('empty').hidden = list.length > 0;
  const { head, canUndo, canRedo, pending, sync, lastSyncedAt, lastError } = store.status;
  $<HTMLButtonElement>('undo').disabled = !canUndo;
  $<HTMLButtonElement>('redo').disabled = !canRedo;
  const synced = lastSyncedAt ? `, last synced ${new Date(lastSyncedAt).toLocaleTimeString()}` : '';
  const problem = sync === 'error' && lastError ? ` (${lastError.message})` : '';
  $('status').textContent = `${head} events in the log, ${pending} pending; sync: ${sync}${problem}${synced}`;
  $<HTMLInputElement>('offline').checked = sync === 'paused';
  const following = travel.value === travel.max;
  travel.max = String(head);
  if (following) travel.value = String(head);
  run(() => Promise.all([renderLog(), renderPast()]));
}

store.subscribe('todos', render);
store.onStatus(render);
render();

$<HTMLFormElement>('add').addEventListener('submit', (e) => {
  e.preventDefault();
  const input = $<HTMLInputElement>('title');
  const title = input.value.trim();
  if (!title) return;
  input.value = '';
  run(() => store.append({ type: 'todo.added', payload: { id: crypto.randomUUID().slice(0, 8), title } }));
});
$('undo').addEventListener('click', () => run(() => store.undo()));
$<HTMLInputElement>('offline').addEventListener('change', (e) => {
  if ((e.target as HTMLInputElement).checked) store.sync.pause();
  else store.sync.resume();
});
$('redo').addEventListener('click', () => run(() => store.redo()));
travel.addEventListener('input', () => run(renderPast));
$('now').addEventListener('click', () => {
  travel.value = travel.max;
  run(renderPast);
});
document.addEventListener('keydown', (e) => {
  if (!(e.ctrlKey || e.metaKey) || e.key.toLowerCase() !== 'z') return;
  if ((e.target as HTMLElement).tagName === 'INPUT' && (e.target as HTMLInputElement).type === 'text') return;
  e.preventDefault();
  run(() => (e.shiftKey ? store.redo() : store.undo()));
});
