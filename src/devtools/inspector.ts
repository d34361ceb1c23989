/**
 * mountInspector(): the inspector panel (docs/devtools.md), framework-free, in a shadow
 * root of its own inside `element`: the log as a virtual list (./list.ts over
 * ./logSource.ts), filters, the selected event (./detail.ts), the store's sync, storage and
 * undo summary (./summary.ts), travel in time and export. Live: it follows the store's
 * status. The function it returns removes the panel and everything it listens to.
 */
import type { Store } from '../api/store.ts';
import { projectionNames } from '../client/store.ts';
import { button, Detail } from './detail.ts';
import { exportLog } from './exportLog.ts';
import { LogList } from './list.ts';
import { LogSource, type Filters } from './logSource.ts';
import { STYLES } from './styles.ts';
import { Summary } from './summary.ts';

export interface InspectorOptions {
  /** The projection whose state the event pane shows first (default: the store's first). */
  projection?: string;
}

export function mountInspector(store: Store, element: HTMLElement, options: InspectorOptions = {}): () => void {
  const host = document.createElement('div');
  host.className = 'eventloom-inspector';
  const root = host.attachShadow({ mode: 'open' });
  const style = document.createElement('style');
  style.textContent = STYLES;
  const panel = document.createElement('div');
  panel.className = 'panel';
  panel.setAttribute('role', 'region');
  panel.setAttribute('aria-label', 'Eventloom inspector');

  let list: LogList | undefined;
  const source = new LogSource(store, () => {
    list?.schedule();
    renderHeader();
  });
  const names = projectionNames(store);
  const detail = new Detail({
    store,
    projections: names,
    projection: options.projection ?? names[0],
    travel: (position) => {
      source.setTravel(position);
      list?.element.scrollTo({ top: 0 });
      list?.select(0);
    },
    travelling: () => source.travel,
    marked: (commit) => source.marked(commit),
  });
  list = new LogList({ source, clientId: store.clientId, onSelect: (event) => detail.show(event) });
  const summary = new Summary(store, source);

  const header = document.createElement('header');
  const renderHeader = () => {
    const status = source.status;
    const travel = source.travel === undefined ? '' : `travelling: as of position ${source.travel}`;
    title.textContent = 'Eventloom inspector';
    facts.textContent = `${source.count} events · head ${status.head} · pending ${status.pending} · sync ${status.sync}`;
    if (travelNote.textContent !== travel) travelNote.textContent = travel; // announced once, not on every page
    back.hidden = source.travel === undefined;
  };
  const title = document.createElement('h2');
  const facts = document.createElement('span');
  facts.className = 'status';
  const travelNote = document.createElement('span');
  travelNote.className = 'travel';
  travelNote.setAttribute('aria-live', 'polite');
  const back = button('Back to now', () => {
    source.setTravel(undefined);
    list?.select(0);
  });
  const exportButton = button('Export log', () => {
    exportButton.disabled = true;
    exportNote.textContent = 'exporting…';
    exportLog(store)
      .then((log) => {
        if (!mounted) return;
        download(`eventloom-log-${store.clientId.slice(0, 8)}-${log.exportedAt}.json`, JSON.stringify(log));
        exportNote.textContent = `exported ${log.events.length} events`;
      })
      .catch((error: unknown) => {
        exportNote.textContent = `export failed: ${(error as Error).message}`;
      })
      .finally(() => (exportButton.disabled = false));
  });
  const exportNote = document.createElement('span');
  exportNote.setAttribute('role', 'status');
  exportButton.dataset['action'] = 'export';
  header.append(title, facts, travelNote, back, exportButton, exportNote);

  const filters = filterBar(
    (f) => {
      source.setFilters(f);
      list?.reset();
    },
    (position) => list?.jumpTo(position) ?? false,
  );
  const side = document.createElement('div');
  side.className = 'side';
  side.append(detail.element, summary.element);
  const body = document.createElement('div');
  body.className = 'body';
  body.append(list.element, side);
  panel.append(header, filters.element, body);
  root.append(style, panel);
  // Subscribed before the panel is in the page: a closed store throws here, leaving nothing behind.
  const unsubscribe = store.onStatus((status) => {
    source.update(status);
    summary.refresh(status);
  });
  element.append(host);

  renderHeader();
  list.render(); // asks for the first page before anything else is read
  source.start();
  summary.refresh(store.status);

  let mounted = true;
  return () => {
    if (!mounted) return;
    mounted = false;
    unsubscribe();
    filters.close();
    detail.close();
    source.close();
    list?.close();
    host.remove();
  };
}

/** The filter inputs: type, stream, text in the payload, and a jump to a position. */
function filterBar(apply: (filters: Filters) => void, jump: (position: number) => boolean): { element: HTMLElement; close(): void } {
  const bar = document.createElement('div');
  bar.className = 'filters';
  bar.setAttribute('role', 'search');
  const input = (name: string, label: string) => {
    const el = document.createElement('input');
    el.name = name;
    el.placeholder = label;
    el.setAttribute('aria-label', label);
    bar.append(el);
    return el;
  };
  const type = input('type', 'type');
  const stream = input('stream', 'stream');
  const text = input('text', 'text in payload');
  const position = input('position', 'go to position');
  position.inputMode = 'numeric';
  let timer: ReturnType<typeof setTimeout> | undefined;
  const changed = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      const f: Filters = {};
      if (type.value.trim()) f.type = type.value.trim();
      if (stream.value.trim()) f.stream = stream.value.trim();
      if (text.value.trim()) f.text = text.value.trim();
      apply(f);
    }, 150);
  };
  for (const el of [type, stream, text]) el.addEventListener('input', changed);
  position.addEventListener('keydown', (e) => {
    if (e.key !== 'Enter') return;
    const at = Number(position.value);
    position.setAttribute('aria-invalid', String(!(Number.isInteger(at) && jump(at))));
  });
  return { element: bar, close: () => clearTimeout(timer) };
}

function download(name: string, json: string): void {
  const url = URL.createObjectURL(new Blob([json], { type: 'application/json' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  // Revoked later, not at once: some browsers start the download after this task.
  setTimeout(() => URL.revokeObjectURL(url), 30_000);
}
