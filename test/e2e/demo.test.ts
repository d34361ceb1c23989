/**
 * The fleet demo end to end (docs/demo.md): the production build served over HTTP, real
 * sync servers on SQLite files, real Chromium devices with persistent profiles.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import {
  ROOT,
  blur,
  cell,
  deploy,
  inventory,
  open,
  registerService,
  reload,
  retire,
  scale,
  serveDemo,
  serviceWorkerReady,
  setConfig,
  timeline,
  travelTo,
  uniqueLog,
  waitForCell,
  waitForPending,
  waitForRow,
  waitForSyncState,
  waitForTimeline,
} from './harness.ts';
import { demoTests, TEST_TIMEOUT } from './perTest.ts';

const e2e = demoTests();
const { onCleanup, newDevice, newServer, expectClean } = e2e;

const api = { name: 'api', env: 'prod', version: '1.0.0', replicas: 2, owner: 'platform' } as const;

describe('fleet demo', () => {
  test(
    'two devices converge on one inventory and one timeline after one of them worked offline',
    async () => {
      const server = await newServer();
      const log = uniqueLog('converge');
      const [a, b] = await Promise.all([newDevice('a'), newDevice('b')]);
      await Promise.all([open(a.page, e2e.demo.url, server.url, log), open(b.page, e2e.demo.url, server.url, log)]);

      await registerService(a.page, api);
      await waitForPending(a.page, 0);
      await waitForRow(b.page, 'api');

      // A loses the network (no "Work offline" switch) and keeps working.
      await a.setOffline(true);
      await deploy(a.page, 'api', '1.1.0');
      await registerService(a.page, { name: 'billing', env: 'staging', version: '0.9.0', replicas: 1, owner: 'payments' });
      await setConfig(a.page, 'api', 'LOG_LEVEL', 'debug');
      await waitForPending(a.page, 3);
      await waitForSyncState(a.page, 'offline');
      await waitForTimeline(a.page, 4);
      expect((await timeline(a.page)).map((i) => i.pending)).toEqual(['pending', 'pending', 'pending', 'confirmed']);

      // Meanwhile B changes other things, and they reach the server.
      await scale(b.page, 'api', 5);
      await registerService(b.page, { name: 'search', env: 'dev', version: '2.0.0', replicas: 3, owner: 'discovery' });
      await waitForPending(b.page, 0);
      // (A may already show B's changes: Chromium's offline emulation fails new requests but
      // leaves A's open live stream flowing. What matters is what both show in the end.)
      expect(await a.page.locator('#pending-count').textContent()).toBe('3');

      // A comes back: its changes go up, B's come down, and both see the same thing.
      // Without another change or a click: coming back online is enough.
      await a.setOffline(false);
      await waitForPending(a.page, 0, 60_000);
      await waitForRow(a.page, 'search');
      await waitForRow(b.page, 'billing');
      await waitForCell(b.page, 'api', 'version', '1.1.0');
      await waitForCell(b.page, 'api', 'config', /LOG_LEVEL\W+debug/);
      await waitForCell(a.page, 'api', 'replicas', '5');
      await waitForTimeline(a.page, 6, { confirmed: true });
      await waitForTimeline(b.page, 6, { confirmed: true });

      const [invA, invB] = await Promise.all([inventory(a.page), inventory(b.page)]);
      expect(invA).toEqual(invB);
      expect(invA.map((r) => r.name).sort()).toEqual(['api', 'billing', 'search']);
      expect(invA.find((r) => r.name === 'api')).toMatchObject({
        version: '1.1.0',
        replicas: '5',
        env: 'prod',
        owner: 'platform',
        status: 'running',
      });

      const [tlA, tlB] = await Promise.all([timeline(a.page), timeline(b.page)]);
      const shape = (items: typeof tlA) => items.map(({ position, pending, whoId, what }) => ({ position, pending, whoId, what }));
      expect(shape(tlA)).toEqual(shape(tlB));
      expect(tlA.map((i) => i.position)).toEqual([6, 5, 4, 3, 2, 1]);
      expect(tlA.every((i) => i.pending === 'confirmed')).toBe(true);
      await expectClean(a, b);
    },
    TEST_TIMEOUT,
  );

  test(
    'a reload keeps everything, and the app and its data load offline and with the servers gone',
    async () => {
      // A demo server of its own, so that it can be shut down: then only the service worker can serve the app.
      const ownDemo = await serveDemo(e2e.demoDir);
      onCleanup(() => ownDemo.close());
      const server = await newServer();
      const log = uniqueLog('reload');
      const a = await newDevice('a');
      await open(a.page, ownDemo.url, server.url, log);

      await registerService(a.page, api);
      await registerService(a.page, { name: 'queue', env: 'staging', version: '3.1.0', replicas: 1, owner: 'data' });
      await deploy(a.page, 'api', '1.2.0');
      await waitForPending(a.page, 0);
      await waitForTimeline(a.page, 3, { confirmed: true });
      await serviceWorkerReady(a.page);
      const inv = await inventory(a.page);
      const tl = await timeline(a.page);
      expect(inv).toHaveLength(2);
      expect(tl).toHaveLength(3);

      // Plain reload.
      await reload(a.page);
      await waitForTimeline(a.page, 3);
      expect(await inventory(a.page)).toEqual(inv);
      expect(await timeline(a.page)).toEqual(tl);

      // Reload with the device offline: the shell from the service worker, the data from IndexedDB.
      await a.setOffline(true);
      await reload(a.page);
      await waitForTimeline(a.page, 3);
      expect(await inventory(a.page)).toEqual(inv);
      expect(await timeline(a.page)).toEqual(tl);
      await waitForSyncState(a.page, 'offline');
      const url = new URL(a.page.url());
      expect(url.searchParams.get('sync')).toBe(server.url);
      expect(url.searchParams.get('log')).toBe(log);

      // A change while offline, then a reload with the network back but both servers gone.
      await scale(a.page, 'queue', 4);
      await waitForPending(a.page, 1);
      await server.stop();
      await ownDemo.close();
      await a.setOffline(false);
      await reload(a.page);
      await waitForTimeline(a.page, 4);
      expect(await inventory(a.page)).toEqual(inv.map((r) => (r.name === 'queue' ? { ...r, replicas: '4' } : r)));
      expect(await a.page.locator('#pending-count').textContent()).toBe('1');
      expect(new URL(a.page.url()).searchParams.get('log')).toBe(log);

      // The sync server comes back: the pending change goes up.
      await server.restart();
      await waitForPending(a.page, 0, 60_000);
      await waitForTimeline(a.page, 4, { confirmed: true });
      await expectClean(a);
    },
    TEST_TIMEOUT,
  );

  test(
    'undo and redo with the keyboard and the buttons, revert from the timeline, travel in time and back',
    async () => {
      const server = await newServer();
      const a = await newDevice('a');
      await open(a.page, e2e.demo.url, server.url, uniqueLog('history'));
      const { page } = a;

      await expect.poll(() => page.locator('#undo').isDisabled()).toBe(true);
      await expect.poll(() => page.locator('#redo').isDisabled()).toBe(true);

      await registerService(page, api); // #1
      await deploy(page, 'api', '1.1.0'); // #2
      await scale(page, 'api', 3); // #3
      await waitForTimeline(page, 3);
      await expect.poll(() => page.locator('#undo').isEnabled()).toBe(true);

      // Keyboard, focus outside any text field.
      await blur(page);
      await page.keyboard.press('Control+Z');
      await waitForCell(page, 'api', 'replicas', '2');
      await expect.poll(() => page.locator('#redo').isEnabled()).toBe(true);
      await page.keyboard.press('Control+Shift+Z');
      await waitForCell(page, 'api', 'replicas', '3');

      // Buttons.
      await page.click('#undo');
      await waitForCell(page, 'api', 'replicas', '2');
      await page.click('#undo');
      await waitForCell(page, 'api', 'version', '1.0.0');
      expect(await cell(page, 'api', 'replicas').textContent()).toBe('2');
      await page.click('#redo');
      await waitForCell(page, 'api', 'version', '1.1.0');
      await page.click('#redo');
      await waitForCell(page, 'api', 'replicas', '3');
      await expect.poll(() => page.locator('#redo').isDisabled()).toBe(true);
      // 3 changes + 6 undo/redo markers.
      await waitForTimeline(page, 9);

      // Revert the deploy (#2) from the timeline: the version goes back, the scale stays.
      const before = await timeline(page);
      const deployItem = before.filter((i) => i.revert && i.text.includes('1.1.0')).sort((x, y) => x.position - y.position)[0];
      expect(deployItem?.position).toBe(2);
      await page.getByRole('button', { name: 'Revert change #2', exact: true }).click();
      await waitForCell(page, 'api', 'version', '1.0.0');
      expect(await cell(page, 'api', 'replicas').textContent()).toBe('3');
      await waitForTimeline(page, 10);

      // Time travel: to #1 (just registered), to #0 (nothing), back to now.
      const now = await inventory(page);
      const head = (await timeline(page))[0]!.position;
      expect(await page.locator('#travel').getAttribute('max')).toBe(String(head));
      await expect.poll(() => page.locator('#travel-banner').isVisible()).toBe(false);

      await travelTo(page, 1);
      await page.locator('#travel-banner').waitFor({ state: 'visible' });
      await waitForCell(page, 'api', 'version', '1.0.0');
      await waitForCell(page, 'api', 'replicas', '2');
      await expect.poll(async () => (await page.locator('#travel-position').textContent())?.trim()).toMatch(/^1\b/);

      await travelTo(page, 2);
      await waitForCell(page, 'api', 'version', '1.1.0');
      await waitForCell(page, 'api', 'replicas', '2');

      await travelTo(page, 0);
      await page.waitForFunction(() => document.querySelectorAll('#inventory tr[data-service-id]').length === 0);

      await page.click('#back-to-now');
      await page.locator('#travel-banner').waitFor({ state: 'hidden' });
      await waitForCell(page, 'api', 'replicas', '3');
      expect(await inventory(page)).toEqual(now);
      expect(await page.locator('#travel').inputValue()).toBe(String(head));

      // Ctrl+Z in a text field is the field's own undo, not the app's. The store runs changes
      // in order, so once a later change shows, an undo from the keystroke would be in the log.
      await page.locator('#deploy-version').fill('9.9.9');
      await page.locator('#deploy-version').press('Control+Z');
      await scale(page, 'api', 7);
      await waitForTimeline(page, head + 1);
      expect((await timeline(page))[0]!.what).toMatch(/scaled api to 7/);
      expect(await cell(page, 'api', 'version').textContent()).toBe('1.0.0');
      await expectClean(a);
    },
    TEST_TIMEOUT,
  );

  test(
    'the sync server stopped and restarted mid-session: work goes on as pending, then syncs',
    async () => {
      const server = await newServer();
      const log = uniqueLog('restart');
      const [a, b] = await Promise.all([newDevice('a'), newDevice('b')]);
      await Promise.all([open(a.page, e2e.demo.url, server.url, log), open(b.page, e2e.demo.url, server.url, log)]);

      await registerService(a.page, api);
      await waitForPending(a.page, 0);
      await waitForRow(b.page, 'api');

      await server.stop();
      await deploy(a.page, 'api', '2.0.0');
      await registerService(a.page, { name: 'queue', env: 'prod', version: '7.0.1', replicas: 2, owner: 'data' });
      await waitForPending(a.page, 2);
      expect(await a.page.locator('#sync-status').textContent()).toMatch(/2 pending/);
      await waitForSyncState(a.page, 'error', 'syncing', 'idle');
      expect(await inventory(a.page)).toHaveLength(2);
      await waitForTimeline(a.page, 3);
      expect((await timeline(a.page)).map((i) => i.pending)).toEqual(['pending', 'pending', 'confirmed']);

      await server.restart();
      await waitForPending(a.page, 0, 60_000);
      await waitForRow(b.page, 'queue', 60_000);
      await waitForCell(b.page, 'api', 'version', '2.0.0', 60_000);
      await waitForSyncState(a.page, 'idle', 'syncing');

      // What the restarted server holds (same SQLite file) is all there for a new device.
      const c = await newDevice('c');
      await open(c.page, e2e.demo.url, server.url, log);
      await waitForTimeline(a.page, 3, { confirmed: true });
      await waitForTimeline(b.page, 3, { confirmed: true });
      await waitForTimeline(c.page, 3, { confirmed: true });
      const [invA, invB, invC] = await Promise.all([inventory(a.page), inventory(b.page), inventory(c.page)]);
      expect(invB).toEqual(invA);
      expect(invC).toEqual(invA);
      await expectClean(a, b, c);
    },
    TEST_TIMEOUT,
  );

  test(
    'the "Work offline" switch pauses sync; changes stay pending until it is switched off',
    async () => {
      const server = await newServer();
      const log = uniqueLog('paused');
      const [a, b] = await Promise.all([newDevice('a'), newDevice('b')]);
      await Promise.all([open(a.page, e2e.demo.url, server.url, log), open(b.page, e2e.demo.url, server.url, log)]);

      await registerService(a.page, api);
      await waitForPending(a.page, 0);
      await waitForRow(b.page, 'api');

      await a.page.getByLabel('Work offline').check();
      await waitForSyncState(a.page, 'paused');
      expect(await a.page.locator('#work-offline').isChecked()).toBe(true);
      await deploy(a.page, 'api', '3.0.0');
      await waitForPending(a.page, 1);

      // B syncs a change of its own; a paused A neither pushes nor pulls meanwhile.
      await registerService(b.page, { name: 'cache', env: 'prod', version: '6.2.0', replicas: 3, owner: 'platform' });
      await waitForPending(b.page, 0);
      expect(await cell(b.page, 'api', 'version').textContent()).toBe('1.0.0');
      expect(await a.page.locator('#pending-count').textContent()).toBe('1');
      expect(await a.page.locator('#sync-state').getAttribute('data-state')).toBe('paused');
      expect((await inventory(a.page)).map((r) => r.name)).toEqual(['api']);

      await a.page.getByLabel('Work offline').uncheck();
      await waitForPending(a.page, 0);
      await waitForSyncState(a.page, 'idle', 'syncing');
      await waitForCell(b.page, 'api', 'version', '3.0.0');
      await waitForRow(a.page, 'cache');
      await expectClean(a, b);
    },
    TEST_TIMEOUT,
  );

  test(
    'the Inspector toggle opens eventloom/devtools on the demo’s store: the log, an event’s state, the keyboard, labels a screen reader follows, and its screenshot',
    async () => {
      const server = await newServer();
      const log = uniqueLog('inspector');
      const a = await newDevice('inspector', { viewport: { width: 1280, height: 900 } });
      await open(a.page, e2e.demo.url, server.url, log);
      const { page } = a;
      await registerService(page, { name: 'api-gateway', env: 'prod', version: '2.4.1', replicas: 6, owner: 'platform' });
      await registerService(page, { name: 'billing', env: 'prod', version: '1.9.0', replicas: 3, owner: 'payments' });
      await deploy(page, 'api-gateway', '2.5.0');
      await scale(page, 'billing', 4);
      await waitForPending(page, 0);

      await page.locator('#inspector-toggle').click();
      const panel = page.locator('#inspector');
      const rows = panel.locator('[role=option]');
      await expect.poll(() => rows.count()).toBe(4);
      await expect.poll(() => rows.first().locator('.type').textContent()).toBe('service.scaled');
      // The keyboard: the list takes focus; Down selects the newest, Down again the deploy, Enter opens it.
      await panel.locator('[role=listbox]').focus();
      await page.keyboard.press('ArrowDown');
      await page.keyboard.press('ArrowDown');
      await page.keyboard.press('Enter');
      await expect.poll(() => panel.locator('.detail h2').textContent()).toBe('service.deployed · position 3');
      await expect.poll(() => panel.locator('.changes li[data-path]').count()).toBeGreaterThan(0);
      // What a screen reader is given: named regions, a named listbox of named options, labelled inputs.
      const snapshot = await panel.ariaSnapshot();
      expect(snapshot).toContain('region "Eventloom inspector"');
      expect(snapshot).toContain('listbox "Events, newest first"');
      expect(snapshot).toMatch(/option "Position 3, service\.deployed in [^"]+, this device, confirmed, [^"]+" \[selected\]/);
      for (const label of ['type', 'stream', 'text in payload', 'go to position']) expect(snapshot).toContain(`textbox "${label}"`);
      expect(snapshot).toContain('region "Selected event"');
      await blur(page);
      await panel.screenshot({ path: join(ROOT, 'docs', 'devtools.png'), animations: 'disabled', caret: 'hide' });

      await page.locator('#inspector-toggle').click();
      await expect.poll(() => panel.isHidden()).toBe(true);
      expect(await panel.locator('.eventloom-inspector').count()).toBe(0);
      await expectClean(a);
    },
    TEST_TIMEOUT,
  );

  test(
    'a new device pulling a log of 50,000 changes shows its catch-up progress, then the inventory',
    async () => {
      const server = await newServer();
      const log = uniqueLog('catch-up');
      // Another device's 50,000 changes, on the server before this one opens the log: one
      // service registered, then scaled 49,999 times (pushed 1000 at a time, as a replica does).
      const total = 50_000;
      const event = (i: number) =>
        i === 0
          ? {
              type: 'service.registered',
              payload: { id: 'svc-big', name: 'big', env: 'prod', version: '1.0.0', replicas: 1, owner: 'ops' },
            }
          : { type: 'service.scaled', payload: { id: 'svc-big', replicas: i } };
      for (let from = 0; from < total; from += 1000) {
        const events = Array.from({ length: 1000 }, (_, k) => ({
          id: `seed-${from + k}`,
          ...event(from + k),
          stream: 'service-svc-big',
          clientId: 'other-device',
          commit: `seed-${from + k}`,
          time: 1_765_000_000_000 + from + k,
        }));
        const response = await fetch(`${server.url}/v1/logs/${log}/events`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ events }),
        });
        expect(response.status).toBe(200);
      }
      const a = await newDevice('a');
      // Every value the progress bar shows, from the first render on (no race with the pull).
      await a.page.addInitScript(() => {
        const seen: { value: number; max: number; hidden: boolean }[] = [];
        (window as unknown as { catchUp: typeof seen }).catchUp = seen;
        document.addEventListener('DOMContentLoaded', () => {
          const box = document.getElementById('catch-up')!;
          const bar = document.getElementById('catch-up-bar') as HTMLProgressElement;
          const record = () => seen.push({ value: bar.value, max: bar.max, hidden: box.hidden === true });
          new MutationObserver(record).observe(box, { attributes: true, subtree: true, childList: true, characterData: true });
        });
      });
      await open(a.page, e2e.demo.url, server.url, log);
      await waitForCell(a.page, 'big', 'replicas', String(total - 1));
      await a.page.waitForFunction(() => document.getElementById('catch-up')!.hidden);
      const seen = await a.page.evaluate(
        () => (window as unknown as { catchUp: { value: number; max: number; hidden: boolean }[] }).catchUp,
      );
      const shown = seen.filter((s) => !s.hidden);
      expect(shown.length).toBeGreaterThan(1);
      expect(shown.every((s) => s.max === total)).toBe(true);
      expect(shown.some((s) => s.value > 0 && s.value < total)).toBe(true);
      const values = shown.map((s) => s.value);
      expect(values).toEqual([...values].sort((x, y) => x - y)); // it only moves forward
      expect(seen.at(-1)!.hidden).toBe(true);
      expect(await a.page.locator('#pending-count').textContent()).toBe('0');
      await expectClean(a);
    },
    TEST_TIMEOUT,
  );

  test(
    'README screenshot at 1280×800, and a phone-sized viewport without horizontal scroll',
    async () => {
      const server = await newServer();
      const log = uniqueLog('screenshot');
      const [a, b] = await Promise.all([newDevice('shot', { viewport: { width: 1280, height: 800 } }), newDevice('colleague')]);
      await Promise.all([open(a.page, e2e.demo.url, server.url, log), open(b.page, e2e.demo.url, server.url, log)]);
      const { page } = a;

      await registerService(page, { name: 'api-gateway', env: 'prod', version: '2.4.1', replicas: 6, owner: 'platform' });
      await registerService(page, { name: 'billing', env: 'prod', version: '1.9.0', replicas: 3, owner: 'payments' });
      await registerService(page, { name: 'search', env: 'staging', version: '0.12.0', replicas: 2, owner: 'discovery' });
      await registerService(page, { name: 'notifications', env: 'dev', version: '0.3.0', replicas: 1, owner: 'growth' });
      await deploy(page, 'api-gateway', '2.5.0');
      // A colleague's device scales billing: the timeline shows who did what.
      await scale(b.page, 'billing', 4);
      await waitForPending(b.page, 0);
      await waitForCell(page, 'billing', 'replicas', '4');
      await setConfig(page, 'search', 'LOG_LEVEL', 'debug');
      await retire(page, 'notifications');
      await waitForPending(page, 0);
      // One change made while working offline, still pending.
      await page.getByLabel('Work offline').check();
      await waitForSyncState(page, 'paused');
      await deploy(page, 'search', '0.13.0');
      await waitForPending(page, 1);
      await waitForTimeline(page, 9);
      await blur(page);

      const file = join(ROOT, 'docs', 'demo.png');
      await mkdir(join(ROOT, 'docs'), { recursive: true });
      await page.screenshot({ path: file, fullPage: true, animations: 'disabled', caret: 'hide' });

      await page.setViewportSize({ width: 390, height: 844 });
      await page.waitForFunction(() => window.innerWidth === 390);
      const { scrollWidth, innerWidth } = await page.evaluate(() => ({
        scrollWidth: document.documentElement.scrollWidth,
        innerWidth: window.innerWidth,
      }));
      expect(scrollWidth).toBeLessThanOrEqual(innerWidth);
      await expect.poll(() => page.locator('#inventory').isVisible()).toBe(true);
      await expectClean(a, b);
    },
    TEST_TIMEOUT,
  );
});
