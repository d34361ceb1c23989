import { defineConfig, mergeConfig } from 'vitest/config';
import { playwright } from '@vitest/browser-playwright';
import viteConfig from './vite.config.ts';
import { CHROMIUM_ARGS } from './scripts/chromium.mjs';

// scripts/test.mjs finds (or installs) a Chromium and passes it here.
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export default mergeConfig(
  viteConfig,
  defineConfig({
    test: {
      projects: [
        {
          extends: true,
          test: {
            name: 'node',
            environment: 'node',
            include: ['test/node/**/*.test.ts'],
            testTimeout: 30_000,
            globalSetup: ['test/setup/postgres.ts'],
          },
        },
        {
          extends: true,
          test: {
            // The demo end to end: Playwright drives Chromium with persistent profiles
            // against the built demo (service worker included) and real sync servers.
            name: 'e2e',
            environment: 'node',
            include: ['test/e2e/**/*.test.ts'],
            globalSetup: ['test/setup/demo.ts'],
            testTimeout: 120_000,
            hookTimeout: 120_000,
            fileParallelism: false,
          },
        },
        {
          extends: true,
          test: {
            // The browsers users have: Chromium, Firefox and WebKit (Safari's engine), each a real
            // browser with its own profile, driven from Node (test/engines/drivers.ts).
            name: 'engines',
            environment: 'node',
            include: ['test/engines/**/*.test.ts'],
            globalSetup: ['test/setup/engines.ts'],
            testTimeout: 180_000,
            hookTimeout: 120_000,
            fileParallelism: false,
          },
        },
        {
          extends: true,
          // Found up front, so Vite never re-bundles mid-run (two Reacts: "Invalid hook call").
          optimizeDeps: {
            include: ['react', 'react/jsx-runtime', 'react/jsx-dev-runtime', 'react-dom/client', 'react-dom/server', 'fast-check'],
          },
          test: {
            name: 'browser',
            include: ['test/browser/**/*.test.ts'],
            globalSetup: ['test/setup/syncServer.ts', 'test/setup/readme.ts'],
            testTimeout: 30_000,
            browser: {
              enabled: true,
              headless: true,
              screenshotFailures: false,
              provider: playwright({
                launchOptions: {
                  executablePath: CHROMIUM,
                  args: CHROMIUM_ARGS,
                },
              }),
              instances: [{ browser: 'chromium' }],
            },
          },
        },
      ],
    },
  }),
);
