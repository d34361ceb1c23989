/**
 * The set-up every end-to-end file of the demo shares: the built demo served for the file,
 * devices and sync servers made per test and closed after it (also when it fails), and the
 * check that a test left no error behind. Kept out of ./harness.ts, which imports nothing
 * from vitest's runtime (the globalSetup uses it).
 */
import { afterAll, afterEach, beforeAll, expect, inject } from 'vitest';
import { appErrors, buildDemo, device, serveDemo, startServer, type Device, type Served, type SyncServer } from './harness.ts';

export const TEST_TIMEOUT = 120_000;

export interface DemoTests {
  /** The demo served for this file, and where it was built. */
  readonly demo: Served;
  readonly demoDir: string;
  /** Runs after the test, with the devices and servers it made (last made, first closed). */
  onCleanup(cleanup: () => Promise<unknown>): void;
  newDevice(name: string, options?: Parameters<typeof device>[1]): Promise<Device>;
  newServer(): Promise<SyncServer>;
  /** No uncaught page errors, no console errors other than failed requests, no error shown. */
  expectClean(...devices: Device[]): Promise<void>;
}

/** Registers the hooks in the calling file. */
export function demoTests(): DemoTests {
  let demoDir: string | undefined;
  let demo: Served | undefined;
  const cleanups: (() => Promise<unknown>)[] = [];
  beforeAll(async () => {
    demoDir = inject('demoDir') ?? (await buildDemo());
    demo = await serveDemo(demoDir);
  }, TEST_TIMEOUT);
  afterAll(async () => {
    await demo?.close();
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  });
  const onCleanup = (cleanup: () => Promise<unknown>) => void cleanups.push(cleanup);
  return {
    get demo() {
      if (!demo) throw new Error('the demo is served only inside the tests of this file');
      return demo;
    },
    get demoDir() {
      if (!demoDir) throw new Error('the demo is built only inside the tests of this file');
      return demoDir;
    },
    onCleanup,
    async newDevice(name, options) {
      const d = await device(name, options);
      onCleanup(() => d.close());
      return d;
    },
    async newServer() {
      const s = await startServer();
      onCleanup(() => s.close());
      return s;
    },
    async expectClean(...devices) {
      for (const d of devices) {
        expect(d.pageErrors, `page errors on ${d.name}`).toEqual([]);
        expect(appErrors(d), `console errors on ${d.name}`).toEqual([]);
        const error = d.page.locator('#error');
        const shown = (await error.isVisible()) ? (await error.textContent())?.trim() : '';
        expect(shown ?? '', `#error on ${d.name}`).toBe('');
      }
    },
  };
}
