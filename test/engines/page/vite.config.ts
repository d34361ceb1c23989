// The cross-engine test page (test/setup/engines.ts builds it): built as an app's bundler
// builds it, production mode, ES module workers, the sources through `eventloom-source`;
// no service worker (the demo has one; this page must not be served by one).
import { fileURLToPath } from 'node:url';
import { defaultClientConditions, defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  resolve: { conditions: ['eventloom-source', ...defaultClientConditions] },
  worker: { format: 'es' },
  build: { target: 'es2022' },
});
