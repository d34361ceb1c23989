import { defaultClientConditions, defaultServerConditions, defineConfig } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';

// The demo (index.html + demo/) and everything else Vite builds: module workers are ES
// modules so a store worker can `import { serveStore } from 'eventloom/worker'`. The
// built app registers a service worker that precaches the app shell, so a reload works
// offline (the data is in IndexedDB).
export default defineConfig({
  // The package's exports give the built dist/ to its users; in this repo the 'eventloom-source'
  // condition gives src/ (package.json "exports"), so nothing needs building first.
  resolve: { conditions: ['eventloom-source', ...defaultClientConditions] },
  ssr: { resolve: { conditions: ['eventloom-source', ...defaultServerConditions] } },
  worker: { format: 'es' },
  build: { target: 'es2022' },
  server: { host: '127.0.0.1', port: 5173, strictPort: true },
  preview: { host: '127.0.0.1', port: 5173, strictPort: true },
  plugins: [
    VitePWA({
      registerType: 'autoUpdate',
      injectRegister: 'script-defer',
      manifest: {
        name: 'Fleet change log · Eventloom',
        short_name: 'Fleet',
        description: 'An offline-first fleet change log built on Eventloom.',
        start_url: '/',
        display: 'standalone',
        theme_color: '#1e293b',
        background_color: '#ffffff',
        icons: [{ src: '/favicon.svg', sizes: 'any', type: 'image/svg+xml' }],
      },
      workbox: {
        globPatterns: ['**/*.{js,css,html,svg,webmanifest}'],
        navigateFallback: 'index.html',
        cleanupOutdatedCaches: true,
        clientsClaim: true,
        skipWaiting: true,
      },
    }),
  ],
});
