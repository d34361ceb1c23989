/**
 * The fleet demo (docs/demo.md) driven in any engine through the page's own elements: the
 * offline path a user takes, from the first visit to a change made with no server reachable.
 */
import { expect } from 'vitest';
import { demoPageUrl, type Served, type SyncServer } from '../e2e/harness.ts';
import { type Tab, until } from './drivers.ts';

interface Row {
  name: string;
  replicas: string;
}

const ready = (tab: Tab) =>
  until(
    tab,
    'the demo is ready',
    () =>
      document.documentElement.dataset['ready'] === 'true' &&
      !!document.querySelector('#sync-state')?.getAttribute('data-state') &&
      !!document.querySelector('#inventory'),
  );

const pending = (tab: Tab, n: number) =>
  until(tab, `#pending-count shows ${n}`, (n: number) => document.querySelector('#pending-count')?.textContent?.trim() === String(n), n);

const inventory = (tab: Tab) =>
  tab.run(() =>
    [...document.querySelectorAll<HTMLTableRowElement>('#inventory tr[data-service-id]')].map((tr) => ({
      name: tr.querySelector('[data-col="name"]')?.textContent?.trim() ?? '',
      replicas: tr.querySelector('[data-col="replicas"]')?.textContent?.trim() ?? '',
    })),
  ) as Promise<Row[]>;

/** Fills the register form as a user does (input events included) and submits it. */
function register(tab: Tab, name: string, replicas: number): Promise<void> {
  return tab.run(
    ({ name, replicas }: { name: string; replicas: number }) => {
      const set = (id: string, value: string) => {
        const field = document.getElementById(id) as HTMLInputElement | HTMLSelectElement;
        field.value = value;
        field.dispatchEvent(new Event('input', { bubbles: true }));
        field.dispatchEvent(new Event('change', { bubbles: true }));
      };
      set('svc-name', name);
      set('svc-env', 'prod');
      set('svc-version', '1.0.0');
      set('svc-replicas', String(replicas));
      set('svc-owner', 'platform');
      (document.getElementById('register-form') as HTMLFormElement).requestSubmit();
    },
    { name, replicas },
  );
}

/** Picks the service in the actions' select and submits the scale form. */
function scale(tab: Tab, name: string, replicas: number): Promise<void> {
  return tab.run(
    ({ name, replicas }: { name: string; replicas: number }) => {
      const select = document.getElementById('action-service') as HTMLSelectElement;
      const option = [...select.options].find((o) => o.text.trim() === name || o.text.trim().startsWith(`${name} (`));
      if (!option) throw new Error(`no service ${name} to pick`);
      select.value = option.value;
      select.dispatchEvent(new Event('change', { bubbles: true }));
      const field = document.getElementById('scale-replicas') as HTMLInputElement;
      field.value = String(replicas);
      field.dispatchEvent(new Event('input', { bubbles: true }));
      (document.getElementById('scale-form') as HTMLFormElement).requestSubmit();
    },
    { name, replicas },
  );
}

const row = (tab: Tab, name: string, replicas: string) =>
  until(
    tab,
    `${name} shows ${replicas} replicas`,
    ({ name, replicas }: { name: string; replicas: string }) =>
      [...document.querySelectorAll('#inventory tr[data-service-id]')].some(
        (tr) =>
          tr.querySelector('[data-col="name"]')?.textContent?.trim() === name &&
          tr.querySelector('[data-col="replicas"]')?.textContent?.trim() === replicas,
      ),
    { name, replicas },
  );

/** The events the server holds for `logId`, by type. */
async function serverTypes(sync: SyncServer, logId: string): Promise<string[]> {
  const response = await fetch(`${sync.url}/v1/logs/${encodeURIComponent(logId)}/events?after=0`);
  expect(response.status).toBe(200);
  const page = (await response.json()) as { events: { type: string }[] };
  return page.events.map((e) => e.type);
}

export const demo = {
  /**
   * A first visit registers a service and syncs it; once the service worker is active, both
   * servers stop and a reload still shows the app (from the service worker) and the inventory
   * (from IndexedDB); a change made then stays pending and reaches the server when it is back.
   */
  async check(tab: Tab, app: Served, sync: SyncServer, logId: string): Promise<void> {
    await tab.goto(demoPageUrl(app.url, sync.url, logId));
    await ready(tab);
    await register(tab, 'api', 2);
    await row(tab, 'api', '2');
    await pending(tab, 0);
    await until(tab, 'the service worker is active', async () => {
      if (document.documentElement.dataset['offlineReady'] !== 'true') return false;
      const registration = await navigator.serviceWorker.getRegistration();
      // Active is enough: the reload below is a navigation in its scope, which it serves.
      return registration?.active?.state === 'activated';
    });
    const online = await inventory(tab);
    expect(online).toEqual([{ name: 'api', replicas: '2' }]);

    await sync.stop();
    await app.close();
    await tab.reload();
    await ready(tab);
    await row(tab, 'api', '2');
    expect(await inventory(tab)).toEqual(online);
    await scale(tab, 'api', 5);
    await row(tab, 'api', '5');
    await pending(tab, 1);
    await sync.restart();
    await pending(tab, 0);
    expect(await serverTypes(sync, logId)).toHaveLength(2); // the registration, then the change made offline
    const errors = await tab.run(() => document.querySelector('#error')?.textContent?.trim() ?? '');
    expect(errors).toBe('');
  },
};
