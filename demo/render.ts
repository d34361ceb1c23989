/** Rendering of the fleet demo: plain DOM, no framework. Pure functions of their inputs. */
import type { StoreStatus, StoredEvent } from 'eventloom';
import { describeEvent, type Inventory } from './fleet.ts';

export const $ = <T extends HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing from index.html`);
  return el as T;
};

function cell(col: string, text: string): HTMLTableCellElement {
  const td = document.createElement('td');
  td.dataset['col'] = col;
  td.textContent = text;
  return td;
}

export function renderInventory(inventory: Inventory): void {
  const services = Object.values(inventory).sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
  $('inventory')
    .querySelector('tbody')!
    .replaceChildren(
      ...services.map((s) => {
        const tr = document.createElement('tr');
        tr.dataset['serviceId'] = s.id;
        tr.className = s.status;
        const config = Object.entries(s.config)
          .map(([k, v]) => `${k}=${v}`)
          .join(', ');
        tr.append(
          cell('name', s.name),
          cell('env', s.env),
          cell('version', s.version),
          cell('replicas', String(s.replicas)),
          cell('owner', s.owner),
          cell('config', config || '—'),
          cell('status', s.status),
        );
        return tr;
      }),
    );
  $('inventory-empty').hidden = services.length > 0;
}

/** Fills a <select> with options, keeping the current choice when it still exists. */
export function fillSelect(select: HTMLSelectElement, options: [value: string, label: string][], keepFirst = 0): void {
  const current = select.value;
  const fixed = [...select.options].slice(0, keepFirst);
  select.replaceChildren(
    ...fixed,
    ...options.map(([value, label]) => {
      const option = document.createElement('option');
      option.value = value;
      option.textContent = label;
      return option;
    }),
  );
  if ([...select.options].some((o) => o.value === current)) select.value = current;
}

const SYNC_WORDS: Record<StoreStatus['sync'], string> = {
  off: 'Sync off',
  idle: 'Synced',
  syncing: 'Syncing…',
  offline: 'Offline',
  paused: 'Paused (working offline)',
  error: 'Sync error',
};

/** The sync status; `words` says a sync error in the app's words (default: its message). */
export function renderStatus(status: StoreStatus, words: (error: { name: string; message: string }) => string = (e) => e.message): void {
  const state = $('sync-state');
  state.dataset['state'] = status.sync;
  state.textContent = status.sync === 'idle' && status.pending > 0 ? 'Waiting to sync' : SYNC_WORDS[status.sync];
  if (status.sync === 'error' && status.lastError) state.textContent += `: ${words(status.lastError)}`;
  $('pending-count').textContent = String(status.pending);
  $('last-synced').textContent = status.lastSyncedAt ? ` · last synced ${new Date(status.lastSyncedAt).toLocaleTimeString()}` : '';
  $<HTMLButtonElement>('undo').disabled = !status.canUndo;
  $<HTMLButtonElement>('redo').disabled = !status.canRedo;
  $<HTMLInputElement>('work-offline').checked = status.sync === 'paused';
  renderCatchUp(status);
}

/** While the server has events this device has not pulled yet (status.behind): how far the catch-up is. */
function renderCatchUp({ head, pending, behind = 0 }: StoreStatus): void {
  const confirmed = head - pending;
  $('catch-up').hidden = behind === 0;
  if (behind === 0) return;
  const bar = $<HTMLProgressElement>('catch-up-bar');
  bar.max = confirmed + behind;
  bar.value = confirmed;
  $('catch-up-count').textContent = `${confirmed.toLocaleString('en-US')} of ${(confirmed + behind).toLocaleString('en-US')} changes`;
}

export function renderTimeline(
  events: StoredEvent[],
  context: { me: string; names: (id: string) => string; describeCommit: (commit: string) => string | undefined },
  onRevert: (event: StoredEvent) => void,
  onTravel: (position: number) => void,
): void {
  $('timeline').replaceChildren(
    ...events.map((e) => {
      const li = document.createElement('li');
      li.value = e.position;
      li.dataset['position'] = String(e.position);
      li.dataset['type'] = e.type;
      const at = document.createElement('button');
      at.type = 'button';
      at.className = 'link';
      at.textContent = `#${e.position}`;
      at.setAttribute('aria-label', `Show the inventory as of change #${e.position}`);
      at.addEventListener('click', () => onTravel(e.position));
      const who = document.createElement('span');
      who.dataset['who'] = e.clientId;
      who.className = 'who';
      who.textContent = e.clientId === context.me ? 'this device' : `device …${e.clientId.slice(-6)}`;
      const when = document.createElement('time');
      when.dateTime = new Date(e.time).toISOString();
      when.textContent = new Date(e.time).toLocaleTimeString();
      const what = document.createElement('span');
      what.className = 'what';
      const target = e.type.startsWith('$') ? context.describeCommit((e.payload as { commit: string }).commit) : undefined;
      what.textContent = target ? `${e.type === '$undo' ? 'undid' : 'redid'}: ${target}` : describeEvent(e, context.names);
      const state = document.createElement('span');
      state.dataset['pending'] = e.pending ? 'pending' : 'confirmed';
      state.className = `badge ${e.pending ? 'pending' : 'confirmed'}`;
      state.textContent = e.pending ? 'pending' : 'confirmed';
      li.append(at, ' ', who, ' ', when, ' ', what, ' ', state);
      if (!e.type.startsWith('$')) {
        const revert = document.createElement('button');
        revert.type = 'button';
        revert.textContent = 'Revert';
        revert.setAttribute('aria-label', `Revert change #${e.position}`);
        revert.addEventListener('click', () => onRevert(e));
        li.append(' ', revert);
      }
      return li;
    }),
  );
}
