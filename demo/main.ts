/**
 * The fleet change log: an offline-first inventory on Eventloom's public API. The store
 * runs in a module worker and syncs with the reference server; the page renders the
 * inventory, the audit timeline and time travel, and turns every form into an append. A
 * passphrase moves the page to a separate, end-to-end encrypted log (demo/encryption.ts).
 */
import { createStore, isConcurrencyError, isInvalidEventError, type Store, type StoredEvent } from 'eventloom';
import { MODE_WORDS, decryptionWords, encryptedLogId, forgetKey, keyFor, rememberKey, rememberedKey } from './encryption.ts';
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

/**
 * The open store and its worker: on the plain log `logId`, or with a key on the encrypted log
 * `<logId>-e2e` in a database of its own (demo/encryption.ts).
 */
interface Session {
  store: Store;
  worker: Worker;
  key: CryptoKey | undefined;
}

async function openSession(key: CryptoKey | undefined): Promise<Session> {
  const id = key ? encryptedLogId(logId) : logId;
  const worker = new Worker(new URL('./store.worker.ts', import.meta.url), { type: 'module', name: 'eventloom-store' });
  try {
    const store = await createStore({
      name: `eventloom-fleet-${id}`,
      worker,
      // The key crosses to the worker as it is (structured clone), non-extractable.
      sync: { url: syncUrl, logId: id, ...(key ? { encryption: { key } } : {}) },
    });
    return { store, worker, key };
  } catch (e) {
    worker.terminate();
    throw e;
  }
}

// A key this browser remembers opens the encrypted log at once (no passphrase asked again).
let session = await openSession(await rememberedKey(logId).catch(() => undefined));
let store = session.store;
/**
 * A change of log under way: the key being derived (the open store goes on meanwhile), or one
 * store being closed and the next opened ('switching': nothing may use `store` then).
 */
let step: 'deriving' | 'switching' | undefined;
const switching = () => step === 'switching';
/** The store's sync failed with a DecryptionError, and has not synced since. */
let undecryptable = false;

function run(action: () => Promise<unknown>): void {
  error.hidden = true;
  const on = store;
  // A store closed by a switch meanwhile fails what was under way on it: nothing to show.
  action().catch((e) => {
    if (store === on && !switching()) showError(e);
  });
}

const now = () => store.get<Inventory>('inventory');
const names = (id: string) => now()[id]?.name ?? id;
const travel = $<HTMLInputElement>('travel');
let following = true;

async function renderPast(): Promise<void> {
  const on = store;
  const position = Number(travel.value);
  $<HTMLOutputElement>('travel-position').textContent = `${position} of ${on.status.head}`;
  const banner = $('travel-banner');
  if (following || position >= on.status.head) {
    banner.hidden = true;
    renderInventory(now());
    return;
  }
  banner.hidden = false;
  banner.textContent = `Viewing the inventory as of change #${position}. Changes are disabled until you go back to now.`;
  const past = await on.stateAt<Inventory>('inventory', { position });
  if (on === store) renderInventory(past);
}

let timelineRun = 0;
async function renderTimelineNow(): Promise<void> {
  const ticket = ++timelineRun;
  const on = store;
  const service = $<HTMLSelectElement>('filter-service').value;
  const type = $<HTMLSelectElement>('filter-type').value;
  const events = await on.events({
    reverse: true,
    limit: 200,
    ...(service ? { stream: streamOf(service) } : {}),
    ...(type ? { type: type === 'undo/redo' ? ['$undo', '$redo'] : type } : {}),
  });
  if (ticket !== timelineRun) return; // a newer render started meanwhile
  const byCommit = new Map<string, StoredEvent>();
  for (const e of await on.events({ reverse: true, limit: 500 })) if (!e.type.startsWith('$')) byCommit.set(e.commit, e);
  if (ticket !== timelineRun) return;
  renderTimeline(
    events,
    {
      me: on.clientId,
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
  updateEditable();
  run(renderPast);
}

/**
 * The change forms take changes only at "now", with a store that is open and can read its
 * log: a device whose passphrase does not open the log must not add events sealed with its key.
 */
function updateEditable(): void {
  const editable = following && !switching() && !undecryptable;
  for (const el of document.querySelectorAll<HTMLButtonElement | HTMLInputElement | HTMLSelectElement>(
    '.forms :is(input, select, button)',
  )) {
    el.disabled = !editable;
  }
}

/** The encryption section: which log is open, and whether its passphrase opens it. */
function renderEncryption(): void {
  const encrypted = session.key !== undefined;
  // Text is only replaced when it changes: a live region would announce it again.
  const say = (el: HTMLElement, text: string) => {
    if (el.textContent !== text) el.textContent = text;
  };
  const mode = step ?? (encrypted ? 'encrypted' : 'plain');
  $('encryption-mode').dataset['mode'] = mode;
  say($('encryption-mode'), MODE_WORDS[mode]);
  const failure = $('decryption-error');
  say(
    failure,
    encrypted
      ? `${decryptionWords(true)}: nothing of it can be shown. Enter the passphrase the other devices use, or go back to the shared plain log.`
      : `${decryptionWords(false)}.`,
  );
  failure.hidden = step !== undefined || !undecryptable;
  $('encryption').dataset['state'] = !step && undecryptable ? 'decryption-error' : 'ok';
  say($('encrypt'), encrypted ? 'Open with this passphrase' : 'Encrypt this fleet log');
  $('plain-log').hidden = !encrypted;
  for (const id of ['passphrase', 'encrypt', 'plain-log']) $<HTMLInputElement | HTMLButtonElement>(id).disabled = step !== undefined;
}

/** What the Work offline switch asked for, until the store's status says it is so. */
let offlineWanted: boolean | undefined;

function render(): void {
  if (switching()) return;
  const { sync, lastError } = store.status;
  // Sticks through retries ('syncing', 'offline') until a round succeeds.
  if (sync === 'error' && lastError?.name === 'DecryptionError') undecryptable = true;
  else if (sync === 'idle') undecryptable = false;
  renderEncryption();
  updateEditable();
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
  renderStatus(store.status, (e) => (e.name === 'DecryptionError' ? decryptionWords(session.key !== undefined) : e.message));
  if (undecryptable) $<HTMLButtonElement>('undo').disabled = $<HTMLButtonElement>('redo').disabled = true;
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
let listening = [store.subscribe('inventory', render), store.onStatus(render)];
render();
document.documentElement.dataset['ready'] = 'true';

/**
 * Closes the open store and opens the plain log (no key) or the encrypted one (a key), and the
 * page renders from it. If that one cannot open, the previous log opens again.
 */
async function switchTo(key: CryptoKey | undefined): Promise<void> {
  const previous = session;
  const inspectorOpen = closeInspector !== undefined;
  step = 'switching';
  document.documentElement.dataset['ready'] = 'false';
  renderEncryption();
  updateEditable();
  for (const stop of listening) stop();
  closeInspector?.();
  closeInspector = undefined;
  // Closed first: a passphrase tried again opens the same database (the encrypted log's).
  await previous.store.close().catch(() => undefined);
  previous.worker.terminate();
  let failed: unknown;
  try {
    session = await openSession(key);
  } catch (e) {
    failed = e;
    session = await openSession(previous.key);
  }
  store = session.store;
  step = undefined;
  undecryptable = false;
  following = true;
  offlineWanted = undefined;
  if ($<HTMLInputElement>('work-offline').checked) store.sync.pause(); // still working offline
  listening = [store.subscribe('inventory', render), store.onStatus(render)];
  render();
  if (inspectorOpen) await toggleInspector();
  document.documentElement.dataset['ready'] = 'true';
  if (failed !== undefined) throw failed;
}

$<HTMLFormElement>('encryption-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const field = $<HTMLInputElement>('passphrase');
  const passphrase = field.value;
  if (passphrase === '') return;
  changeLog(async () => {
    step = 'deriving';
    renderEncryption();
    let key: CryptoKey;
    try {
      key = await keyFor(passphrase, logId);
    } catch (e) {
      step = undefined;
      throw e;
    }
    field.value = ''; // not kept in the page either
    // Remembered for the next visit; where IndexedDB cannot keep it, the passphrase is asked again.
    await rememberKey(logId, key).catch(() => undefined);
    await switchTo(key);
  });
});
$('plain-log').addEventListener('click', () =>
  changeLog(async () => {
    await forgetKey(logId);
    await switchTo(undefined);
  }),
);

/** Like run(), for a change of log: its failure shows even though the store changed. */
function changeLog(action: () => Promise<void>): void {
  if (step !== undefined) return;
  error.hidden = true;
  action()
    .catch(showError)
    .finally(() => {
      if (!switching()) renderEncryption();
    });
}

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
async function toggleInspector(): Promise<void> {
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
}
inspectorToggle.addEventListener('click', () => run(toggleInspector));

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
  if (undecryptable || switching()) return;
  e.preventDefault();
  run(() => (e.shiftKey ? store.redo() : store.undo()));
});
