/**
 * serveStore() serves an endpoint once, however many copies of the worker module call it:
 * WebKit (Safari's engine) evaluates a module worker's entry module a second time when a chunk
 * it loads later imports from it (test/engines saw it in WebKitGTK 2.50), and a second serve of
 * the worker's scope would answer every `open` with a second engine on the same database.
 */
import type { Endpoint } from 'comlink';
import { describe, expect, it } from 'vitest';
import { serveStore } from '../../../src/worker/index.ts';
import { projections } from '../../support/fixtures.ts';

/** An endpoint that only counts who listens to it. */
function endpoint(): Endpoint & { listeners: number } {
  return {
    listeners: 0,
    addEventListener() {
      this.listeners++;
    },
    removeEventListener() {
      this.listeners--;
    },
    postMessage() {},
  };
}

describe('serveStore', () => {
  it('serves an endpoint once when the worker module runs again, and each other endpoint once too', () => {
    const scope = endpoint();
    serveStore({ projections, endpoint: scope });
    serveStore({ projections, endpoint: scope }); // the module's second evaluation
    expect(scope.listeners).toBe(1);
    const port = endpoint();
    serveStore({ projections, endpoint: port });
    expect(port.listeners).toBe(1);
    expect(scope.listeners).toBe(1);
  });

  it('still checks its options on a second call', () => {
    const scope = endpoint();
    serveStore({ projections, endpoint: scope });
    expect(() => serveStore({ projections, endpoint: scope, upcasters: { added: 'not a function' as never } })).toThrow(TypeError);
  });
});
