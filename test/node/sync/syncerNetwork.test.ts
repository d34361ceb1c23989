import { describe, expect, it, vi } from 'vitest';
import { Syncer, type HttpTransport } from '../../../src/sync/index.ts';
import type { SyncerOptions } from '../../../src/sync/syncer.ts';
import { FakeReplica as Replica, fakeSyncClock, settle } from '../../support/fakeReplica.ts';
import { FakeServer } from '../../support/fakeServer.ts';

// The page's online/offline events forwarded to a worker's sync loop (Syncer.network()):
// Chromium fires neither inside workers, where only navigator.onLine changes, and a loop with
// a live stream open sleeps up to a minute between rounds. The host here is a worker: its
// navigator.onLine is whatever the test sets, and its own events come only when fired.

let lock = 0;
let n = 0;
const syncers = fakeSyncClock();

function worker(onLine: boolean) {
  const events = new EventTarget();
  const navigator = { onLine };
  vi.stubGlobal('navigator', navigator);
  vi.stubGlobal('addEventListener', events.addEventListener.bind(events));
  vi.stubGlobal('removeEventListener', events.removeEventListener.bind(events));
  return { navigator, fire: (type: 'online' | 'offline') => events.dispatchEvent(new Event(type)) };
}

function started(options: Partial<SyncerOptions> = {}) {
  const replica = new Replica();
  const server = new FakeServer();
  const syncer = new Syncer(replica, server as unknown as HttpTransport, { live: true, lockName: `network-${lock++}`, ...options });
  syncers.push(syncer);
  syncer.start();
  const append = () => {
    const id = `e${n++}`;
    replica.pending.push([{ id, type: 'added', payload: { id }, stream: 'todos', clientId: 'client-1', commit: id, time: 1 }]);
    syncer.poke();
  };
  return { replica, server, syncer, append };
}

describe('the page’s network events, forwarded to a worker’s loop', () => {
  it('offline ends the live stream and shows offline at once, though the worker’s navigator.onLine still says online', async () => {
    worker(true);
    const { replica, server, syncer, append } = started();
    await settle();
    expect(server.open).toHaveLength(1);
    expect(replica.status.sync).toBe('idle');
    syncer.network(false);
    await settle(); // no time passes: not the next round, not the 1 s look at navigator.onLine
    expect(server.open).toEqual([]);
    expect(replica.status.sync).toBe('offline');
    // The forwarded state holds until the next event: nothing is sent, whatever navigator.onLine says.
    append();
    await vi.advanceTimersByTimeAsync(120_000);
    expect(server.connections).toHaveLength(1);
    expect(server.pulls).toHaveLength(1);
    expect(server.pushes).toEqual([]);
    expect(replica.status.sync).toBe('offline');
  });

  it('online runs a round at once and opens the stream again; before navigator.onLine says so too, nothing is sent', async () => {
    const { navigator } = worker(false);
    const { replica, server, syncer, append } = started();
    append();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(server.pulls).toEqual([]);
    expect(replica.status.sync).toBe('offline');
    // The browser sets navigator.onLine, then fires online on the page, which forwards it.
    navigator.onLine = true;
    syncer.network(true);
    await settle(); // no time passes: not the 1 s look at navigator.onLine
    expect(server.pushes).toHaveLength(1);
    expect(server.pulls).toHaveLength(1);
    expect(server.open).toHaveLength(1);
    expect(replica.status.sync).toBe('idle');
    expect(replica.pending).toEqual([]);
  });

  it('an online event that never came does not keep it offline: navigator.onLine false, then true again, ends the offline event', async () => {
    const { navigator } = worker(true);
    const { replica, server, syncer, append } = started();
    await settle();
    syncer.network(false); // the page's offline event; its online event is then lost (a frozen page)
    append();
    navigator.onLine = false;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(server.pushes).toEqual([]);
    expect(replica.status.sync).toBe('offline');
    navigator.onLine = true;
    await vi.advanceTimersByTimeAsync(1_000); // the loop looks at navigator.onLine every second while offline
    expect(server.pushes).toHaveLength(1);
    expect(replica.status.sync).toBe('idle');
  });

  it('stays quiet while navigator.onLine is false, whatever event came (a synthetic one)', async () => {
    worker(false);
    const { replica, server, syncer, append } = started();
    syncer.network(true);
    append();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(server.connections).toEqual([]);
    expect(replica.status.sync).toBe('offline');
  });

  it('goes offline and back online as often as the page says, one round per return', async () => {
    worker(true);
    const { replica, server, syncer } = started({ live: false, pollInterval: 60_000 });
    await settle();
    for (let i = 0; i < 3; i++) {
      syncer.network(false);
      await settle();
      expect(replica.status.sync).toBe('offline');
      syncer.network(true);
      await settle();
      expect(replica.status.sync).toBe('idle');
      expect(server.pulls).toHaveLength(2 + i);
    }
  });

  it('the same state said again (the worker’s own event, another forward) runs no second round', async () => {
    const net = worker(true);
    const { server, syncer } = started({ live: false, pollInterval: 60_000 });
    await settle();
    syncer.network(false);
    net.fire('offline');
    syncer.network(false);
    await settle();
    net.fire('online'); // a worker that does get events: its own comes first...
    await settle();
    expect(server.pulls).toHaveLength(2);
    syncer.network(true); // ...and the page's, a message later, after the round
    await settle();
    expect(server.pulls).toHaveLength(2);
  });

  it('the newest event wins: the worker’s own online after a forwarded offline syncs', async () => {
    const net = worker(true);
    const { replica, server, syncer } = started({ live: false, pollInterval: 60_000 });
    await settle();
    syncer.network(false);
    await settle();
    expect(replica.status.sync).toBe('offline');
    net.fire('online');
    await settle();
    expect(server.pulls).toHaveLength(2);
    expect(replica.status.sync).toBe('idle');
  });

  it('takes only true or false', () => {
    worker(true);
    const { syncer } = started();
    expect(() => syncer.network('offline' as unknown as boolean)).toThrow(TypeError);
  });
});
