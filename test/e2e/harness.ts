/**
 * End-to-end harness for the fleet demo (docs/demo.md): the built demo served over HTTP,
 * real sync servers on SQLite files, and real Chromium "devices" with persistent profiles
 * (so IndexedDB and the service worker are the real ones). No sleeps: every wait polls
 * observable state in the page (waitForFunction / locator assertions).
 *
 * This module imports nothing from vitest's runtime, so the globalSetup (test/setup/demo.ts)
 * can use buildDemo() too.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright';
import { preview } from 'vite';
import { sqliteStorage, startSyncServer, type RunningSyncServer, type SyncStorage } from '../../src/server/index.ts';
import { CHROMIUM_ARGS } from '../../scripts/chromium.mjs';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
/** Default bound for one wait on the page: sync may be in a backoff of up to 30 s. */
export const WAIT = 45_000;

// ---------------------------------------------------------------------------------------
// Building and serving the demo

let built: Promise<string> | undefined;

/**
 * `vite build` in a process of its own with NODE_ENV=production: Vitest sets NODE_ENV=test,
 * which would make Vite build a non-production bundle, and changing it in this process would
 * change it for every project running here (the browser project's Vite would then bundle
 * React's production build, which has no act()).
 */
export async function viteBuild(outDir: string, options: { config?: string } = {}): Promise<void> {
  const args = [
    join(ROOT, 'node_modules/vite/bin/vite.js'),
    'build',
    '--mode',
    'production',
    '--logLevel',
    'warn',
    '--outDir',
    outDir,
    '--emptyOutDir',
  ];
  if (options.config) args.push('--config', options.config);
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: 'production' },
    stdio: ['ignore', 'inherit', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', resolve);
  });
  if (code !== 0) throw new Error(`vite build${options.config ? ` --config ${options.config}` : ''} failed (${code}):\n${stderr}`);
}

/** Builds index.html + demo/ with the repo's vite.config.ts into a temp dir, once per process. */
export function buildDemo(): Promise<string> {
  built ??= (async () => {
    const outDir = await mkdtemp(join(tmpdir(), 'eventloom-demo-'));
    await viteBuild(outDir);
    return outDir;
  })();
  return built;
}

export interface Served {
  url: string;
  close(): Promise<void>;
}

/** Vite's preview server on 127.0.0.1 (a free port) over a build; SPA fallback to index.html. */
export async function serveDemo(outDir: string): Promise<Served> {
  const server = await preview({
    configFile: join(ROOT, 'vite.config.ts'),
    root: ROOT,
    mode: 'production',
    logLevel: 'warn',
    appType: 'spa',
    build: { outDir },
    preview: { host: '127.0.0.1', port: 0, strictPort: false, open: false },
  });
  const { port } = server.httpServer.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return { url: `http://127.0.0.1:${port}`, close: () => (closing ??= server.close()) };
}

// ---------------------------------------------------------------------------------------
// Sync server

export interface SyncServer {
  url: string;
  port: number;
  path: string;
  readonly running: boolean;
  stop(): Promise<void>;
  /** Starts again on the same port and SQLite file. */
  restart(): Promise<void>;
  /** Stops, and removes the SQLite file's temp dir when startServer() made it. */
  close(): Promise<void>;
}

/** A real sync server on 127.0.0.1 (free port) with SQLite at `path` (default a fresh temp file). */
export async function startServer(path?: string): Promise<SyncServer> {
  const ownDir = path === undefined ? await mkdtemp(join(tmpdir(), 'eventloom-sync-')) : undefined;
  const file = path ?? join(ownDir!, 'eventloom.db');
  let storage: SyncStorage | undefined;
  let server: RunningSyncServer | undefined;
  const up = async (port: number) => {
    storage = sqliteStorage({ path: file });
    try {
      server = await startSyncServer({ port, host: '127.0.0.1', storage, warn: () => undefined });
    } catch (error) {
      await storage.close();
      storage = undefined;
      throw error;
    }
  };
  const down = async () => {
    const [s, st] = [server, storage];
    server = undefined;
    storage = undefined;
    await s?.close();
    await st?.close();
  };
  await up(0);
  const url = server!.url;
  const port = Number(new URL(url).port);
  return {
    url,
    port,
    path: file,
    get running() {
      return server !== undefined;
    },
    stop: down,
    async restart() {
      await down();
      await up(port);
    },
    async close() {
      await down();
      if (ownDir) await rm(ownDir, { recursive: true, force: true });
    },
  };
}

// ---------------------------------------------------------------------------------------
// Devices

export interface Device {
  name: string;
  context: BrowserContext;
  page: Page;
  /** Uncaught exceptions in the page (pageerror). */
  pageErrors: string[];
  /** console.error messages (page and workers), network noise included; see appErrors(). */
  consoleErrors: string[];
  /** Go offline / online for this whole device (all pages, workers, service worker). */
  setOffline(offline: boolean): Promise<void>;
  close(): Promise<void>;
}

/** A console error that is the browser reporting a failed request: expected while offline or with the server down. */
export function isNetworkNoise(message: string): boolean {
  return /net::ERR_|Failed to load resource|Failed to fetch|NetworkError|ERR_INTERNET_DISCONNECTED|ERR_CONNECTION_REFUSED/i.test(message);
}

/** Console errors that are not network noise. */
export function appErrors(d: Device): string[] {
  return d.consoleErrors.filter((m) => !isNetworkNoise(m));
}

/** A Chromium with its own fresh persistent profile: real IndexedDB, real service worker. */
export async function device(name: string, options: { viewport?: { width: number; height: number } } = {}): Promise<Device> {
  const profile = await mkdtemp(join(tmpdir(), `eventloom-e2e-${name.replace(/\W+/g, '_')}-`));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: options.viewport ?? { width: 1280, height: 800 },
    locale: 'en-GB',
    timezoneId: 'UTC',
    serviceWorkers: 'allow',
  });
  context.setDefaultTimeout(WAIT);
  const page = context.pages()[0] ?? (await context.newPage());
  const pageErrors: string[] = [];
  const consoleErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(`${e.name}: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  // The store's module worker: its console errors (uncaught errors included) count too.
  page.on('worker', (w) =>
    w.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(`[worker ${w.url()}] ${m.text()}`);
    }),
  );
  page.on('dialog', (d) => void d.accept());
  let closing: Promise<void> | undefined;
  return {
    name,
    context,
    page,
    pageErrors,
    consoleErrors,
    setOffline: (offline) => context.setOffline(offline),
    close: () =>
      (closing ??= (async () => {
        await context.close().catch(() => undefined);
        await rm(profile, { recursive: true, force: true }).catch(() => undefined);
      })()),
  };
}

// ---------------------------------------------------------------------------------------
// The page

export function demoPageUrl(demoUrl: string, syncUrl: string, logId: string): string {
  return `${demoUrl}/?sync=${encodeURIComponent(syncUrl)}&log=${encodeURIComponent(logId)}`;
}

/** Opens the demo on a sync server and log, and waits until it is ready. */
export async function open(page: Page, demoUrl: string, syncUrl: string, logId: string): Promise<void> {
  await page.goto(demoPageUrl(demoUrl, syncUrl, logId));
  await ready(page);
}

/** The app is up (docs/demo.md "readiness"): `<html data-ready="true">` and the sync state rendered. */
export async function ready(page: Page): Promise<void> {
  await page.waitForFunction(
    () =>
      document.documentElement.dataset['ready'] === 'true' &&
      !!document.querySelector('#sync-state')?.getAttribute('data-state') &&
      !!document.querySelector('#inventory'),
    undefined,
    { timeout: WAIT },
  );
}

/** Reloads (even offline) and waits for the app. */
export async function reload(page: Page): Promise<void> {
  await page.reload();
  await ready(page);
}

/**
 * Waits until an offline reload can work: `<html data-offline-ready="true">` (docs/demo.md)
 * and an activated service worker registration.
 */
export async function serviceWorkerReady(page: Page): Promise<void> {
  await page.waitForFunction(
    async () => {
      if (document.documentElement.dataset['offlineReady'] !== 'true') return false;
      const reg = await navigator.serviceWorker.getRegistration();
      return reg?.active?.state === 'activated';
    },
    undefined,
    { timeout: WAIT, polling: 100 },
  );
}

export const syncState = (page: Page) => page.locator('#sync-state').getAttribute('data-state');

export async function waitForSyncState(page: Page, ...states: string[]): Promise<void> {
  await page.waitForFunction((want) => want.includes(document.querySelector('#sync-state')?.getAttribute('data-state') ?? ''), states, {
    timeout: WAIT,
  });
}

export async function pendingCount(page: Page): Promise<number> {
  return Number((await page.locator('#pending-count').textContent())?.trim());
}

/** Waits until `#pending-count` shows exactly `n`. */
export async function waitForPending(page: Page, n: number, timeout = WAIT): Promise<void> {
  try {
    await page.waitForFunction((n) => document.querySelector('#pending-count')?.textContent?.trim() === String(n), n, { timeout });
  } catch (error) {
    const status = await page
      .locator('#sync-status')
      .innerText()
      .catch(() => '?');
    throw new Error(`#pending-count did not reach ${n} within ${timeout} ms; #sync-status says "${status}"`, { cause: error });
  }
}

/** Waits until `#pending-count` shows at least `n`. */
export async function waitForPendingAtLeast(page: Page, n: number, timeout = WAIT): Promise<void> {
  await page.waitForFunction((n) => Number(document.querySelector('#pending-count')?.textContent?.trim()) >= n, n, { timeout });
}

// ----- register and change services

export interface NewService {
  name: string;
  env: 'prod' | 'staging' | 'dev';
  version: string;
  replicas: number;
  owner: string;
}

export function row(page: Page, name: string): Locator {
  return page.locator('#inventory tr[data-service-id]').filter({ has: page.locator('[data-col="name"]').getByText(name, { exact: true }) });
}

export function cell(page: Page, name: string, col: string): Locator {
  return row(page, name).locator(`[data-col="${col}"]`);
}

/** Waits until `name`'s `col` cell has exactly `text` (after trimming). */
export async function waitForCell(page: Page, name: string, col: string, text: string | RegExp, timeout = WAIT): Promise<void> {
  const source = typeof text === 'string' ? null : { source: text.source, flags: text.flags };
  await page.waitForFunction(
    ({ name, col, text, source }) => {
      for (const tr of document.querySelectorAll('#inventory tr[data-service-id]')) {
        if (tr.querySelector('[data-col="name"]')?.textContent?.trim() !== name) continue;
        const got = tr.querySelector(`[data-col="${col}"]`)?.textContent?.trim() ?? '';
        return source ? new RegExp(source.source, source.flags).test(got) : got === text;
      }
      return false;
    },
    { name, col, text: typeof text === 'string' ? text : '', source },
    { timeout },
  );
}

export async function waitForRow(page: Page, name: string, timeout = WAIT): Promise<void> {
  await row(page, name).first().waitFor({ state: 'attached', timeout });
}

export async function registerService(page: Page, s: NewService): Promise<void> {
  await page.fill('#svc-name', s.name);
  await page.selectOption('#svc-env', s.env);
  await page.fill('#svc-version', s.version);
  await page.fill('#svc-replicas', String(s.replicas));
  await page.fill('#svc-owner', s.owner);
  await page.locator('#register-form').locator('button[type="submit"], input[type="submit"]').first().click();
  await waitForRow(page, s.name);
}

/**
 * Picks `name` in `#action-service`. docs/demo.md says "by name"; an option's label may add
 * more after the name (the demo shows `api (prod)`), so the label is matched by its start.
 */
export async function selectService(page: Page, name: string): Promise<void> {
  const option = await page.waitForFunction(
    (name) => {
      const options = [...document.querySelectorAll<HTMLOptionElement>('#action-service option')];
      const o = options.find((o) => o.text.trim() === name) ?? options.find((o) => o.text.trim().startsWith(`${name} (`));
      return o ? o.value : false;
    },
    name,
    { timeout: WAIT },
  );
  await page.selectOption('#action-service', { value: (await option.jsonValue()) as string });
}

export async function deploy(page: Page, name: string, version: string): Promise<void> {
  await selectService(page, name);
  await page.fill('#deploy-version', version);
  await page.click('#deploy');
  await waitForCell(page, name, 'version', version);
}

export async function scale(page: Page, name: string, replicas: number): Promise<void> {
  await selectService(page, name);
  await page.fill('#scale-replicas', String(replicas));
  await page.click('#scale');
  await waitForCell(page, name, 'replicas', String(replicas));
}

export async function setConfig(page: Page, name: string, key: string, value: string): Promise<void> {
  await selectService(page, name);
  await page.fill('#config-key', key);
  await page.fill('#config-value', value);
  await page.click('#set-config');
  const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  await waitForCell(page, name, 'config', new RegExp(`${esc(key)}\\W+${esc(value)}`));
}

export async function retire(page: Page, name: string): Promise<void> {
  await selectService(page, name);
  await page.click('#retire');
  await waitForCell(page, name, 'status', 'retired');
}

// ----- end-to-end encryption (the passphrase field)

/** Which log is open: `#encryption-mode`'s `data-mode` (docs/demo.md). */
export const encryptionMode = (page: Page) => page.locator('#encryption-mode').getAttribute('data-mode');

/**
 * Enters `passphrase` in the field labelled "Passphrase", submits it ("Encrypt this fleet log",
 * or "Open with this passphrase" when a passphrase is in use), and waits until the encrypted
 * log is open: the key derived (the field emptied), the store switched, the page ready.
 */
export async function usePassphrase(page: Page, passphrase: string): Promise<void> {
  await page.getByLabel('Passphrase', { exact: true }).fill(passphrase);
  await page.locator('#encryption-form').locator('button[type="submit"]').click();
  await waitForMode(page, 'encrypted');
}

/** Waits until `mode` ('plain' / 'encrypted') is open, nothing under way, and the page ready. */
export async function waitForMode(page: Page, mode: 'plain' | 'encrypted'): Promise<void> {
  await page.waitForFunction(
    (mode) =>
      document.querySelector('#encryption-mode')?.getAttribute('data-mode') === mode &&
      document.querySelector<HTMLInputElement>('#passphrase')?.value === '' &&
      document.documentElement.dataset['ready'] === 'true',
    mode,
    { timeout: WAIT },
  );
}

// ----- reading the page

export interface InventoryRow {
  id: string;
  name: string;
  env: string;
  version: string;
  replicas: string;
  owner: string;
  config: string;
  status: string;
}

export async function inventory(page: Page): Promise<InventoryRow[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll<HTMLTableRowElement>('#inventory tr[data-service-id]')].map((tr) => {
      const col = (c: string) => (tr.querySelector(`[data-col="${c}"]`) as HTMLElement | null)?.innerText.replace(/\s+/g, ' ').trim() ?? '';
      return {
        id: tr.dataset['serviceId'] ?? '',
        name: col('name'),
        env: col('env'),
        version: col('version'),
        replicas: col('replicas'),
        owner: col('owner'),
        config: col('config'),
        status: col('status'),
      };
    }),
  );
}

export interface TimelineItem {
  position: number;
  /** `pending` / `confirmed` */
  pending: string;
  who: string;
  /** `[data-who]`'s value (the device's client id). */
  whoId: string;
  /** The item's whole text, whitespace collapsed. */
  text: string;
  /** The text without the who part (which may say "you" on one device and a name on another). */
  what: string;
  /** The Revert button's aria-label, if any. */
  revert: string | null;
}

export async function timeline(page: Page): Promise<TimelineItem[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll<HTMLLIElement>('#timeline li[data-position]')].map((li) => {
      const norm = (s: string) => s.replace(/\s+/g, ' ').trim();
      const pendingEl = li.matches('[data-pending]') ? li : li.querySelector('[data-pending]');
      const whoEl = li.querySelector<HTMLElement>('[data-who]');
      const text = norm(li.innerText);
      const who = whoEl ? norm(whoEl.innerText) : '';
      return {
        position: Number(li.dataset['position']),
        pending: pendingEl?.getAttribute('data-pending') ?? '',
        who,
        whoId: whoEl?.dataset['who'] ?? '',
        text,
        what: who ? norm(text.replace(who, '')) : text,
        revert: li.querySelector('button[aria-label^="Revert"]')?.getAttribute('aria-label') ?? null,
      };
    }),
  );
}

/**
 * Waits until the (unfiltered) timeline shows changes #n..#1: `n` items with #n on top; with
 * `confirmed`, until every item is confirmed too. The timeline renders after the inventory
 * and the status (it reads the log), so wait on it before reading it.
 */
export async function waitForTimeline(page: Page, n: number, options: { confirmed?: boolean; timeout?: number } = {}): Promise<void> {
  await page.waitForFunction(
    ({ n, confirmed }) => {
      const items = [...document.querySelectorAll('#timeline li[data-position]')];
      if (items.length !== n || (n > 0 && items[0]!.getAttribute('data-position') !== String(n))) return false;
      return !confirmed || document.querySelectorAll('#timeline [data-pending="pending"]').length === 0;
    },
    { n, confirmed: options.confirmed ?? false },
    { timeout: options.timeout ?? WAIT },
  );
}

/** Moves the time-travel slider to `position` (fires input and change). */
export async function travelTo(page: Page, position: number): Promise<void> {
  await page.locator('#travel').fill(String(position));
}

export function uniqueLog(prefix = 'e2e'): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

/** Moves keyboard focus off any text field, so Ctrl+Z reaches the app's shortcut. */
export async function blur(page: Page): Promise<void> {
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur?.());
}
