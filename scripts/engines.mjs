// The three browser engines the tests run in, and where each is found: Chromium (Playwright's
// or Debian's), Firefox ESR (Debian's, driven over WebDriver BiDi) and WebKitGTK, Safari's
// engine (Debian's MiniBrowser, driven by WebKitWebDriver under Xvfb). `npm test` installs the
// missing ones from Debian's packages when it runs as root, as it does Chromium.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chromium } from 'playwright';

/** @typedef {'chromium' | 'firefox' | 'webkit'} EngineName */

/** @type {readonly EngineName[]} */
export const ENGINES = ['chromium', 'firefox', 'webkit'];

/** Debian's packages that provide each engine (and its driver). */
export const DEBIAN_PACKAGES = {
  chromium: ['chromium'],
  firefox: ['firefox-esr'],
  webkit: ['webkit2gtk-driver', 'xvfb'],
};

const HOW = {
  chromium: 'set CHROMIUM_PATH, or `npx playwright install chromium`, or on Debian `apt-get install chromium`',
  firefox: 'set FIREFOX_PATH to a Firefox ≥ 128, or on Debian `apt-get install firefox-esr`',
  webkit: 'on Debian `apt-get install webkit2gtk-driver xvfb` (WebKitWebDriver, MiniBrowser, xvfb-run); or set WEBKIT_MINIBROWSER_PATH',
};

function safe(fn) {
  try {
    return fn();
  } catch {
    return undefined;
  }
}

function onPath(command) {
  return (process.env.PATH ?? '').split(':').some((dir) => dir && existsSync(`${dir}/${command}`));
}

/** WebKitGTK's MiniBrowser in Debian's multiarch library directory (4.1 or 6.0 API). */
function miniBrowsers() {
  const libs = (safe(() => readdirSync('/usr/lib')) ?? []).map((d) => `/usr/lib/${d}`);
  return ['/usr/lib', ...libs].flatMap((dir) => [`${dir}/webkit2gtk-4.1/MiniBrowser`, `${dir}/webkitgtk-6.0/MiniBrowser`]);
}

/**
 * The executable to drive for `name`, or undefined when it is not installed. For WebKit that is
 * MiniBrowser, found only together with `WebKitWebDriver` and `xvfb-run` on the PATH.
 * @param {EngineName} name
 * @returns {string | undefined}
 */
export function findEngine(name) {
  const first = (candidates) => candidates.find((p) => p && existsSync(p));
  if (name === 'chromium') {
    return first([process.env.CHROMIUM_PATH, safe(() => chromium.executablePath()), '/usr/bin/chromium', '/usr/bin/chromium-browser']);
  }
  if (name === 'firefox') return first([process.env.FIREFOX_PATH, '/usr/bin/firefox-esr', '/usr/bin/firefox']);
  if (!onPath('WebKitWebDriver') || !onPath('xvfb-run')) return undefined;
  return first([process.env.WEBKIT_MINIBROWSER_PATH, ...miniBrowsers()]);
}

/**
 * Finds every engine, installing the missing ones from Debian's packages when running as root
 * on Debian. Returns the paths, or the engines still missing with how to get each.
 * @returns {{ found: Partial<Record<EngineName, string>>, missing: { name: EngineName, how: string }[] }}
 */
export function provideEngines() {
  let missing = ENGINES.filter((name) => !findEngine(name));
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (missing.length > 0 && isRoot && existsSync('/usr/bin/apt-get')) {
    const packages = missing.flatMap((name) => DEBIAN_PACKAGES[name]);
    console.log(`[test] installing Debian's ${packages.join(', ')} (apt-get) for ${missing.join(', ')}…`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    spawnSync('apt-get', ['install', '-y', '-qq', ...packages], { stdio: 'inherit', env });
    missing = ENGINES.filter((name) => !findEngine(name));
  }
  const found = Object.fromEntries(ENGINES.filter((name) => !missing.includes(name)).map((name) => [name, findEngine(name)]));
  return { found, missing: missing.map((name) => ({ name, how: HOW[name] })) };
}
