/**
 * The fleet change log: an offline-first inventory on Eventloom's public API. The store
 * runs in a module worker and syncs with the reference server; the page renders the
 * inventory, the audit timeline and time travel, and turns every form into an append.
 */
import { createStore, isConcurrencyError, isInvalidEventError, type StoredEvent } from 'eventloom';
import { ENVS, EVENT_TYPES, describeEvent, fleetEvent, streamOf, type Env, type Inventory } from './fleet.ts';
import { $, fillSelect, renderInventory, renderStatus, renderTimeline } from './render.ts';

const params = new URLSearchParams(location.search);
const syncUrl = params.get('sync') ?? `${location.protocol}//${location.hostname}:8787`;
const logId = params.get('log') ?? 'fleet';

const error = $<HTMLParagraphElement>('error');
function showError(e: unknown): void {
  const message = isConcurrencyError(e)
    ? 'That service was changed meanwhile (by you or another device); look again and retry.'
    : isInvalidEventError(e)
      ? `That change is not valid: ${(e as Error).message}`
      : `Something went wrong: ${(e as Error)?.message ?? String(e)}`;
  error.textContent = message;
  error.hidden = false;
}
window.addEventListener('unhandledrejection', (e) => showError(e.reason));

if ('serviceWorker' in navigator) {
  // Once the app shell is cached, a reload works offline.
  void navigator.serviceWorker.ready.then(() => (document.documentElement.dataset['offlineReady'] = 'true'));
}

const store = await createStore({
  name: `eventloom-fleet-${logId}`,
  worker: new Worker(new URL('./store.worker.ts', import.meta.url), { type: 'module', name: 'eventloom-store' }),
  sync: { url: syncUrl, logId },
});

function run(action: () => Promise<unknown>): void {
  error.hidden = true;
  action().catch(showError);
}

const now = () => store.get<Inventory>('inventory');
const names = (id: string) => now()[id]?.name ?? id;
const travel = $<HTMLInputElement>('travel');
let following = true;

async function renderPast(): Promise<void> {
  const position = Number(travel.value);
  $<HTMLOutputElement>('travel-position').textContent = `${position} of ${store.status.head}`;
  const banner = $('travel-banner');
  if (following || position >= store.status.head) {
    banner.hidden = true;
    renderInventory(now());
    return;
  }
  banner.hidden = false;
  banner.textContent = `Viewing the inventory as of change #${position}. Changes are disabled until you go back to now.`;
  renderInventory(await store.stateAt<Inventory>('inventory', { position }));
}

let timelineRun = 0;
async function renderTimelineNow(): Promise<void> {
  const ticket = ++timelineRun;
  const service = $<HTMLSelectElement>('filter-service').value;
  const type = $<HTMLSelectElement>('filter-type').value;
  const events = await store.events({
    reverse: true,
    limit: 200,
    ...(service ? { stream: streamOf(service) } : {}),
    ...(type ? { type: type === 'undo/redo' ? ['$undo', '$redo'] : type } : {}),
  });
  if (ticket !== timelineRun) return; // a newer render started meanwhile
  const byCommit = new Map<string, StoredEvent>();
  for (const e of await store.events({ reverse: true, limit: 500 })) if (!e.type.startsWith('$')) byCommit.set(e.commit, e);
  renderTimeline(
    events,
    {
      me: store.clientId,
      names,
      describeCommit: (commit) => {
        const target = byCommit.get(commit);
        return target && describeEvent(target, names);
      },
    },
    (e) => run(() => store.revert(e.commit)),
    (position) => travelTo(position),
  );
}

function travelTo(position: number): void {
  following = position >= store.status.head;
  travel.value = String(position);
  setEditable(following);
  run(renderPast);
}

function setEditable(editable: boolean): void {
  for (const el of document.querySelectorAll<HTMLButtonElement | HTMLInputElement | HTMLSelectElement>(
    '.forms :is(input, select, button)',
  )) {
    el.disabled = !editable;
  }
}

/** What the Work offline switch asked for, until the store's status says it is so. */
let offlineWanted: boolean | undefined;

function render(): void {
  const inventory = now();
  const services = Object.values(inventory).sort((a, b) => a.name.localeCompare(b.name));
  fillSelect(
    $('action-service'),
    services.filter((s) => s.status === 'running').map((s) => [s.id, `${s.name} (${s.env})`]),
  );
  fillSelect(
    $('filter-service'),
    services.map((s) => [s.id, s.name]),
    1,
  );
  renderStatus(store.status);
  // Until the worker has paused or resumed as asked, the switch shows what was asked (a status
  // change meanwhile, e.g. storage figures, must not flip it back).
  if (offlineWanted !== undefined) {
    if ((store.status.sync === 'paused') === offlineWanted) offlineWanted = undefined;
    else $<HTMLInputElement>('work-offline').checked = offlineWanted;
  }
  travel.max = String(store.status.head);
  if (following) travel.value = travel.max;
  run(() => Promise.all([renderPast(), renderTimelineNow()]));
}

fillSelect($('filter-type'), [...EVENT_TYPES.map((t): [string, string] => [t, t.replace('service.', '')]), ['undo/redo', 'undo/redo']], 1);
store.subscribe('inventory', render);
store.onStatus(render);
render();
document.documentElement.dataset['ready'] = 'true';

const selected = (): string => {
  const id = $<HTMLSelectElement>('action-service').value;
  if (!id) throw new Error('Register a service first, then pick it here.');
  return id;
};
const text = (id: string) => $<HTMLInputElement>(id).value.trim();

$<HTMLFormElement>('register-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const id = crypto.randomUUID().slice(0, 8);
  const payload = {
    id,
    name: text('svc-name'),
    env: $<HTMLSelectElement>('svc-env').value as Env,
    version: text('svc-version'),
    replicas: Number($<HTMLInputElement>('svc-replicas').value),
    owner: text('svc-owner'),
  };
  if (!ENVS.includes(payload.env)) return showError(new Error(`unknown environment ${payload.env}`));
  run(async () => {
    await store.append(fleetEvent('service.registered', payload), { expectedVersion: 'none' });
    $<HTMLFormElement>('register-form').reset();
    $<HTMLSelectElement>('action-service').value = id;
  });
});
$<HTMLFormElement>('deploy-form').addEventListener('submit', (e) => {
  e.preventDefault();
  run(async () => {
    await store.append(fleetEvent('service.deployed', { id: selected(), version: text('deploy-version') }));
    $<HTMLInputElement>('deploy-version').value = '';
  });
});
$<HTMLFormElement>('scale-form').addEventListener('submit', (e) => {
  e.preventDefault();
  run(() => store.append(fleetEvent('service.scaled', { id: selected(), replicas: Number($<HTMLInputElement>('scale-replicas').value) })));
});
$<HTMLFormElement>('config-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const value = text('config-value');
  run(async () => {
    await store.append(fleetEvent('service.reconfigured', { id: selected(), key: text('config-key'), value: value === '' ? null : value }));
    $<HTMLFormElement>('config-form').reset();
  });
});
$('retire').addEventListener('click', () => run(() => store.append(fleetEvent('service.retired', { id: selected() }))));
// The inspector (eventloom/devtools), loaded the first time it is opened.
let closeInspector: (() => void) | undefined;
const inspectorToggle = $<HTMLButtonElement>('inspector-toggle');
inspectorToggle.addEventListener('click', () =>
  run(async () => {
    const section = $('inspector');
    if (closeInspector) {
      closeInspector();
      closeInspector = undefined;
    } else {
      inspectorToggle.disabled = true; // one panel: no second mount while the first one loads
      try {
        const { mountInspector } = await import('eventloom/devtools');
        closeInspector = mountInspector(store, section, { projection: 'inventory' });
      } finally {
        inspectorToggle.disabled = false;
      }
    }
    section.hidden = closeInspector === undefined;
    inspectorToggle.setAttribute('aria-expanded', String(closeInspector !== undefined));
  }),
);

$('undo').addEventListener('click', () => run(() => store.undo()));
$('redo').addEventListener('click', () => run(() => store.redo()));
$<HTMLInputElement>('work-offline').addEventListener('change', (e) => {
  offlineWanted = (e.target as HTMLInputElement).checked;
  if (offlineWanted) store.sync.pause();
  else store.sync.resume();
});
travel.addEventListener('input', () => travelTo(Number(travel.value)));
$('back-to-now').addEventListener('click', () => travelTo(store.status.head));
$('filter-service').addEventListener('change', () => run(renderTimelineNow));
$('filter-type').addEventListener('change', () => run(renderTimelineNow));
document.addEventListener('keydown', (e) => {
  if (!(e.ctrlKey || e.metaKey) || e.key.toLowerCase() !== 'z') return;
  // The element typed in, also inside a shadow root (the inspector's filter fields).
  const target = e.composedPath()[0] as HTMLElement;
  if (target.matches?.('input:not([type=checkbox]):not([type=range]), textarea, select')) return; // the field's own undo
  e.preventDefault();
  run(() => (e.shiftKey ? store.redo() : store.undo()));
});
