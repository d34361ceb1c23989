/**
 * One small driver over the three browser engines users have, so each cross-engine test is
 * written once: Chromium through Playwright (persistent profile), Firefox ESR through
 * puppeteer-core over WebDriver BiDi (no geckodriver), and WebKitGTK (Safari's engine) through
 * `WebKitWebDriver` (WebDriver classic) under Xvfb. scripts/engines.mjs finds the binaries.
 *
 * A tab runs functions in its page: `tab.run(fn, arg)` sends `fn`'s source and a JSON argument,
 * awaits the promise it returns and gives back its JSON result. The functions must be
 * self-contained (they run in the page, not here). WebDriver classic runs one command at a time
 * per session, so a test that waits in one tab for what another does starts the wait (a promise
 * kept on `window`) and collects it later; the tabs of one engine take turns.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright';
import puppeteer from 'puppeteer-core';
import WebDriver from 'webdriver';
import { CHROMIUM_ARGS } from '../../scripts/chromium.mjs';
import { ENGINES, type EngineName, findEngine } from '../../scripts/engines.mjs';

export { ENGINES, type EngineName };

/** Bound for one `run` in the page (a sync round may sit in a backoff of up to 30 s). */
export const RUN_TIMEOUT = 60_000;

export interface Tab {
  goto(url: string): Promise<void>;
  reload(): Promise<void>;
  /** Runs `fn(arg)` in the page and resolves with its (JSON) result; a throw in the page rejects here. */
  run<A, R>(fn: (arg: A) => R | Promise<R>, arg?: A): Promise<R>;
  close(): Promise<void>;
}

export interface Engine {
  readonly name: EngineName;
  /** The browser's own version string. */
  readonly version: string;
  /** A new tab in the same profile (same origin storage, as a user's second tab). */
  newTab(): Promise<Tab>;
  close(): Promise<void>;
}

/**
 * The expression a driver evaluates: `fn(arg)`, its result as JSON text or its error. Text, so
 * each driver's own serialisation cannot change a value (Puppeteer's BiDi one turns an object
 * met twice, as structural sharing makes, into null).
 */
function expression(fn: (arg: never) => unknown, arg: unknown): string {
  return `(async () => {
    try { return { ok: true, json: JSON.stringify((await (${fn.toString()})(${JSON.stringify(arg ?? null)})) ?? null) }; }
    catch (e) { return { ok: false, error: String((e && e.stack) || e), name: e && e.name }; }
  })()`;
}

type Outcome = { ok: true; json: string } | { ok: false; error: string; name?: string };

function unwrap<R>(engine: EngineName, outcome: Outcome): R {
  if (outcome.ok) return JSON.parse(outcome.json) as R;
  const error = new Error(`in ${engine}: ${outcome.error}`);
  if (outcome.name) error.name = outcome.name;
  throw error;
}

/** Serialises the commands of one engine: WebDriver classic has one current window per session. */
function queue() {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(job: () => Promise<T>): Promise<T> => {
    const next = tail.then(job, job);
    tail = next.catch(() => undefined);
    return next;
  };
}

export async function launch(name: EngineName): Promise<Engine> {
  const binary = findEngine(name);
  if (!binary) throw new Error(`${name}: not found (npm test installs it; see scripts/engines.mjs)`);
  if (name === 'chromium') return launchChromium(binary);
  if (name === 'firefox') return launchFirefox(binary);
  return launchWebKit(binary);
}

async function profileDir(name: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `eventloom-${name}-`));
}

/** What Playwright's and Puppeteer's pages have in common, as far as a tab needs. */
interface ScriptablePage {
  goto(url: string): Promise<unknown>;
  reload(): Promise<unknown>;
  evaluate(expression: string): Promise<unknown>;
  close(): Promise<unknown>;
}

/**
 * An engine over a browser whose pages are scriptable: `pages()` lists the open ones (the first
 * tab reuses the window the browser opened with), `newPage()` opens one, `shutdown()` closes
 * the browser; the profile directory goes with it.
 */
function pageEngine(
  name: EngineName,
  version: string,
  profile: string,
  browser: { pages(): Promise<ScriptablePage[]> | ScriptablePage[]; newPage(): Promise<ScriptablePage>; shutdown(): Promise<unknown> },
): Engine {
  let first = true;
  return {
    name,
    version,
    async newTab() {
      const existing = first ? (await browser.pages())[0] : undefined;
      first = false;
      const page = existing ?? (await browser.newPage());
      return {
        goto: async (url) => void (await page.goto(url)),
        reload: async () => void (await page.reload()),
        run: async (fn, arg) => unwrap(name, (await page.evaluate(expression(fn, arg))) as Outcome),
        close: async () => void (await page.close()),
      };
    },
    async close() {
      await browser.shutdown().catch(() => undefined);
      await rm(profile, { recursive: true, force: true });
    },
  };
}

async function launchChromium(executablePath: string): Promise<Engine> {
  const profile = await profileDir('chromium');
  const context = await chromium.launchPersistentContext(profile, { executablePath, headless: true, args: CHROMIUM_ARGS });
  return pageEngine('chromium', context.browser()?.version() ?? 'unknown', profile, {
    pages: () => context.pages(),
    newPage: () => context.newPage(),
    shutdown: () => context.close(),
  });
}

async function launchFirefox(executablePath: string): Promise<Engine> {
  const profile = await profileDir('firefox');
  const browser = await puppeteer.launch({
    browser: 'firefox',
    executablePath,
    headless: true,
    userDataDir: profile,
    protocolTimeout: RUN_TIMEOUT * 2,
  });
  return pageEngine('firefox', await browser.version(), profile, {
    pages: () => browser.pages(),
    newPage: () => browser.newPage(),
    shutdown: () => browser.close(),
  });
}

/** A free TCP port on 127.0.0.1. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Waits until the WebDriver server answers /status (it takes a moment to listen). */
async function driverReady(port: number, driver: ChildProcess): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (driver.exitCode !== null) throw new Error(`WebKitWebDriver exited with ${driver.exitCode}`);
    const up = await fetch(`http://127.0.0.1:${port}/status`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('WebKitWebDriver did not answer within 30 s');
}

async function launchWebKit(miniBrowser: string): Promise<Engine> {
  const port = await freePort();
  // xvfb-run gives WebKitGTK's MiniBrowser a display; the driver starts it per session.
  const driver = spawn('xvfb-run', ['-a', 'WebKitWebDriver', `--port=${port}`], { detached: true, stdio: 'ignore' });
  const stopDriver = () => {
    try {
      if (driver.pid) process.kill(-driver.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  };
  try {
    await driverReady(port, driver);
    const client = await WebDriver.newSession({
      hostname: '127.0.0.1',
      port,
      logLevel: 'warn',
      connectionRetryCount: 0,
      capabilities: {
        browserName: 'MiniBrowser',
        'wdio:enforceWebDriverClassic': true,
        'webkitgtk:browserOptions': { binary: miniBrowser, args: ['--automation'] },
      } as WebdriverIO.Capabilities,
    });
    await client.setTimeouts(undefined, RUN_TIMEOUT, RUN_TIMEOUT);
    const version = String((client.capabilities as { browserVersion?: string }).browserVersion ?? 'unknown');
    const serial = queue();
    // Closing a session's last window ends the session: a closed tab's window waits, blank, for the next tab.
    const spare: string[] = [await client.getWindowHandle()];
    const run = async (handle: string, fn: (arg: never) => unknown, arg: unknown): Promise<Outcome> => {
      await client.switchToWindow(handle);
      try {
        // executeAsyncScript: the last argument is the callback that ends the command.
        const script = `const done = arguments[arguments.length - 1]; ${expression(fn, arg)}.then(done);`;
        return (await client.executeAsyncScript(script, [])) as Outcome;
      } catch (error) {
        // WebKitWebDriver's own errors say little ("@"): say what ran, and where.
        const url = await client.getUrl().catch(() => 'unknown');
        const what = fn.toString().replace(/\s+/g, ' ').slice(0, 160);
        throw new Error(
          `webkit: WebDriver failed running ${what} (arg ${JSON.stringify(arg)?.slice(0, 120)}) on ${url}: ${(error as Error).message}`,
          {
            cause: error,
          },
        );
      }
    };
    return {
      name: 'webkit',
      version,
      async newTab() {
        const handle = spare.pop() ?? (await serial(() => client.createWindow('tab'))).handle;
        const inTab = <T>(job: () => Promise<T>) =>
          serial(async () => {
            await client.switchToWindow(handle);
            return job();
          });
        return {
          goto: (url) => inTab(() => client.navigateTo(url)).then(() => undefined),
          reload: () => inTab(() => client.refresh()).then(() => undefined),
          run: async (fn, arg) => unwrap('webkit', await serial(() => run(handle, fn as (arg: never) => unknown, arg))),
          close: () =>
            inTab(() => client.navigateTo('about:blank')).then(() => {
              spare.push(handle);
            }),
        };
      },
      async close() {
        await client.deleteSession().catch(() => undefined);
        stopDriver();
      },
    };
  } catch (error) {
    stopDriver();
    throw error;
  }
}

/**
 * Waits in the page until `predicate(arg)` is truthy, checking every 50 ms (as Playwright's
 * waitForFunction does) up to `ms`; the timeout's error says `what`.
 */
export async function until<A>(tab: Tab, what: string, predicate: (arg: A) => unknown, arg?: A, ms = 45_000): Promise<void> {
  const poll = new Function(
    'input',
    `const predicate = (${predicate.toString()});
    const deadline = Date.now() + input.ms;
    return (async () => {
      for (;;) {
        if (await predicate(input.arg)) return null;
        if (Date.now() > deadline) throw new Error('waited ' + input.ms + ' ms until ' + input.what);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();`,
  ) as (input: { arg: A | undefined; ms: number; what: string }) => Promise<null>;
  await tab.run(poll, { arg, ms, what });
}
