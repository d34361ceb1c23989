// A store worker whose sync traffic is observable: each request is announced on a
// BroadcastChannel with this worker's name, so a test can tell which tab talks to the server.
import { serveStore } from 'eventloom/worker';
import { projections } from '../support/fixtures.ts';

const id = (globalThis as { name?: string }).name ?? 'unnamed';
const traffic = new BroadcastChannel('test-sync-traffic');

serveStore({
  projections,
  fetch: (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    traffic.postMessage({ worker: id, path: url.pathname, method: init?.method ?? 'GET' });
    return fetch(input, init);
  },
});
