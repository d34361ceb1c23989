import { describe, expect, it, vi } from 'vitest';
import { ProtocolError, SyncError } from '../../../src/index.ts';
import { Syncer, type HttpTransport } from '../../../src/sync/index.ts';
import type { SyncerOptions } from '../../../src/sync/syncer.ts';
import { FakeReplica as Replica, fakeSyncClock, settle } from '../../support/fakeReplica.ts';
import { FakeServer, wire } from '../../support/fakeServer.ts';

// Live mode on fake timers: the stream opens after a round that succeeds, its pages are
// integrated, a gap or a dropped stream brings a round, reconnects back off, a 401 or a
// pause/offline/close ends it.

let lock = 0;
const syncers = fakeSyncClock();
function started(options: Partial<SyncerOptions> = {}) {
  const replica = new Replica();
  const server = new FakeServer();
  const syncer = new Syncer(replica, server as unknown as HttpTransport, { live: true, lockName: `live-${lock++}`, ...options });
  syncers.push(syncer);
  syncer.start();
  return { replica, server, syncer };
}

describe('the live stream', () => {
  it('opens from the confirmed head after the first round and carries others’ events; no polling meanwhile', async () => {
    const { replica, server } = started();
    await server.publish('a', 'b');
    await settle();
    expect(server.connections.map((c) => c.after)).toEqual([2]);
    await server.publish('c');
    await settle();
    expect(replica.log.map((e) => [e.position, e.id])).toEqual([
      [1, 'a'],
      [2, 'b'],
      [3, 'c'],
    ]);
    await vi.advanceTimersByTimeAsync(59_999);
    expect(server.pulls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(server.pulls).toHaveLength(2);
    // The stream stays the one opened first: a round does not open a second.
    expect(server.connections).toHaveLength(1);
  });

  it('a page that does not continue the log brings a round that pulls the gap', async () => {
    const { replica, server } = started();
    await settle();
    const [stream] = server.open;
    server.log.push({ ...wire('missed'), position: 1 }); // the stream missed this one
    await server.publish('next');
    await settle();
    expect(server.pulls).toHaveLength(2);
    expect(replica.log.map((e) => e.id)).toEqual(['missed', 'next']);
    expect(server.open).toEqual([stream]);
  });

  it('an empty page (a heartbeat) changes nothing', async () => {
    const { replica, server } = started();
    await settle();
    await server.open[0]!.send({ events: [], head: 0 });
    expect(replica.integrated.filter((i) => i.remote.length === 0 && i.rejected.length === 0)).toEqual([]);
    expect(server.pulls).toHaveLength(1);
  });

  it('a stream the server ends reconnects after a backoff, from the head then, and a round covers the meanwhile', async () => {
    const { replica, server } = started({ minDelay: 100 });
    await settle();
    server.open[0]!.end();
    server.log.push({ ...wire('meanwhile'), position: 1 });
    await vi.advanceTimersByTimeAsync(99);
    expect(server.connections).toHaveLength(1);
    expect(server.pulls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(server.pulls).toHaveLength(2);
    expect(replica.log.map((e) => e.id)).toEqual(['meanwhile']);
    expect(server.open.map((c) => c.after)).toHaveLength(1);
  });

  it('reconnects back off exponentially up to maxDelay while the stream keeps failing, and start over after a page', async () => {
    const { server } = started({ minDelay: 100, maxDelay: 500 });
    await settle();
    const opened: number[] = [Date.now()];
    const failNext = async () => {
      const count = server.connections.length;
      server.open[0]!.fail(new SyncError('The live stream broke: reset', { details: { status: 0 } }));
      while (server.connections.length === count) await vi.advanceTimersByTimeAsync(1);
      opened.push(Date.now());
    };
    for (let i = 0; i < 4; i++) await failNext();
    expect(opened.slice(1).map((t, i) => t - opened[i]!)).toEqual([200, 400, 500, 500]);
    // A page resets the count: the next drop waits minDelay * 2 again.
    await server.publish('x');
    await failNext();
    expect(opened.at(-1)! - opened.at(-2)!).toBe(200);
  });

  it('by default reconnects after 250 ms, 500 ms after a failure', async () => {
    const { server } = started();
    await settle();
    const t0 = Date.now();
    server.open[0]!.end();
    await vi.advanceTimersByTimeAsync(249);
    expect(server.open).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(server.open).toHaveLength(1);
    expect(Date.now() - t0).toBe(250);
    server.open[0]!.fail(new SyncError('broke'));
    await vi.advanceTimersByTimeAsync(499);
    expect(server.open).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(server.open).toHaveLength(1);
  });

  it('a malformed live page shows as a ProtocolError; the stream reconnects', async () => {
    const { replica, server } = started({ minDelay: 100 });
    await settle();
    server.open[0]!.fail(new ProtocolError('The live stream sent data that is not JSON'));
    await settle();
    expect(replica.status).toMatchObject({
      sync: 'error',
      lastError: { name: 'ProtocolError', message: 'The live stream sent data that is not JSON' },
    });
    await vi.advanceTimersByTimeAsync(200);
    expect(server.open).toHaveLength(1);
  });

  it('a SyncError on the stream is not shown: the round after it tells', async () => {
    const { replica, server } = started({ minDelay: 100 });
    await settle();
    server.open[0]!.fail(new SyncError('The live stream broke: reset'));
    await settle();
    expect(replica.status.sync).toBe('idle');
    expect(replica.status.lastError).toBeUndefined();
  });

  it('a 401 on the stream ends it; the loop’s round stops on the 401, and the stream opens again after setToken()', async () => {
    const { replica, server, syncer } = started({ minDelay: 100 });
    await settle();
    const unauthorized = () =>
      new SyncError('The sync server answered 401 (unauthorized): token revoked', { details: { status: 401, code: 'unauthorized' } });
    server.pullFault = unauthorized;
    server.liveFault = unauthorized;
    server.open[0]!.fail(unauthorized());
    await settle();
    expect(server.pulls).toHaveLength(2);
    expect(replica.status.lastError?.message).toMatch(/401.*setToken/);
    await vi.advanceTimersByTimeAsync(3_600_000);
    expect(server.connections).toHaveLength(1);
    expect(server.pulls).toHaveLength(2);
    server.pullFault = undefined;
    server.liveFault = undefined;
    syncer.setToken('fresh');
    await settle();
    expect(server.pulls).toHaveLength(3);
    expect(server.open).toHaveLength(1);
    expect(server.connections).toHaveLength(2);
  });

  it('a 401 in the round ends the open stream too', async () => {
    const { server, syncer } = started();
    await settle();
    server.pullFault = () => new SyncError('401', { details: { status: 401 } });
    await syncer.now().catch(() => undefined);
    expect(server.open).toEqual([]);
  });

  it('pause() ends the stream; resume() opens it again after a round', async () => {
    const { server, syncer } = started();
    await settle();
    syncer.pause();
    expect(server.open).toEqual([]);
    await vi.advanceTimersByTimeAsync(120_000);
    expect(server.connections).toHaveLength(1);
    syncer.resume();
    await settle();
    expect(server.pulls).toHaveLength(2);
    expect(server.open).toHaveLength(1);
  });

  it('a round in flight when pause() comes does not open the stream', async () => {
    const { server, syncer } = started();
    server.pullFault = () => {
      syncer.pause();
      return undefined;
    };
    await settle();
    expect(server.pulls).toHaveLength(1);
    expect(server.connections).toEqual([]);
  });

  it('offline ends the stream; online opens it after a round', async () => {
    const events = new EventTarget();
    const navigator = { onLine: true };
    vi.stubGlobal('navigator', navigator);
    vi.stubGlobal('addEventListener', events.addEventListener.bind(events));
    vi.stubGlobal('removeEventListener', events.removeEventListener.bind(events));
    const { replica, server } = started();
    await settle();
    expect(server.open).toHaveLength(1);
    navigator.onLine = false;
    events.dispatchEvent(new Event('offline'));
    await settle();
    expect(server.open).toEqual([]);
    expect(replica.status.sync).toBe('offline');
    await vi.advanceTimersByTimeAsync(10_000);
    expect(server.connections).toHaveLength(1);
    navigator.onLine = true;
    events.dispatchEvent(new Event('online'));
    await settle();
    expect(server.open).toHaveLength(1);
    expect(server.connections).toHaveLength(2);
  });

  it('a round that ends while offline does not open the stream', async () => {
    const navigator = { onLine: true };
    vi.stubGlobal('navigator', navigator);
    const { server } = started();
    server.pullFault = () => {
      navigator.onLine = false;
      return undefined;
    };
    await settle();
    expect(server.pulls).toHaveLength(1);
    expect(server.connections).toEqual([]);
  });

  it('close() ends the stream and waits for it', async () => {
    const { server, syncer } = started();
    await settle();
    const [stream] = server.open;
    await syncer.close();
    expect(stream!.signal.aborted).toBe(true);
    await vi.advanceTimersByTimeAsync(120_000);
    expect(server.connections).toHaveLength(1);
  });

  it('a stream that drops as the store closes does not reconnect', async () => {
    const { server, syncer } = started({ minDelay: 100 });
    await settle();
    server.open[0]!.end();
    await settle();
    // close() waits for the stream's loop, which waits out its reconnect delay first.
    const closing = syncer.close();
    await vi.advanceTimersByTimeAsync(1_000);
    await closing;
    expect(server.connections).toHaveLength(1);
  });

  it('pause() during a reconnect wait: the stream does not reconnect', async () => {
    const { server, syncer } = started({ minDelay: 100 });
    await settle();
    server.open[0]!.fail(new SyncError('The live stream broke: reset'));
    await settle();
    syncer.pause();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(server.connections).toHaveLength(1);
  });

  it('a stream error that comes after pause() is not shown', async () => {
    const { replica, server, syncer } = started();
    await settle();
    // The stream fails as pause() aborts it: its error arrives after the abort.
    server.open[0]!.fail(new ProtocolError('late garbage'));
    syncer.pause();
    await settle();
    expect(replica.status.sync).toBe('paused');
    expect(replica.status.lastError).toBeUndefined();
  });

  // The stream's reconnect wait used to be a plain timer that close() did not cut short, and
  // close() awaits the stream's loop: store.close() could take up to maxDelay (30 s by
  // default) while the server was unreachable.
  it('close() during a reconnect wait resolves without waiting it out', async () => {
    const { server, syncer } = started({ minDelay: 10_000 });
    await settle();
    server.open[0]!.fail(new SyncError('The live stream broke: reset'));
    await settle();
    let closed = false;
    void syncer.close().then(() => (closed = true));
    await settle();
    expect(closed).toBe(true);
  });
});
