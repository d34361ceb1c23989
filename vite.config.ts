import { defineConfig } from 'vite';

// The demo (index.html + demo/) and everything else Vite builds: module workers
// are ES modules so a store worker can `import { serveStore } from 'eventloom/worker'`.
export default defineConfig({
  worker: { format: 'es' },
  build: { target: 'es2022' },
  server: { host: '127.0.0.1', port: 5173, strictPort: true },
  preview: { host: '127.0.0.1', port: 5173, strictPort: true },
});
