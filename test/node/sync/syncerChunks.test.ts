import { describe, expect, it } from 'vitest';
import { ProtocolError, SyncError, isProtocolError, isSyncError } from '../../../src/index.ts';
import { Syncer, type HttpTransport } from '../../../src/sync/index.ts';
import type { WireEvent } from '../../../src/protocol/wire.ts';
import type { IntegrateInput } from '../../../src/sync/host.ts';
import { FakeReplica as Replica } from '../../support/fakeReplica.ts';
import { FakeServer } from '../../support/fakeServer.ts';
import { rejection } from '../../support/rejection.ts';

// How one round pushes the pending commits: chunks of at most maxEventsPerPush events (a
// larger commit alone), halving a chunk the server refuses as too large or invalid until the
// commit at fault stands alone and leaves the log, and conflicts that leave it for rejected().
// A Syncer that was never start()ed runs each now() as one round, without the loop.

function event(id: string, commit: string): WireEvent {
  return { id, type: 'added', payload: { id }, stream: 'todos', clientId: 'client-1', commit, time: 1 };
}

/** A commit named `name` of `size` events (ids name.0, name.1, ...). */
function commit(name: string, size = 1): WireEvent[] {
  return Array.from({ length: size }, (_, i) => event(`${name}.${i}`, name));
}

function setup(commits: WireEvent[][], options: { maxEventsPerPush?: number; pullLimit?: number } = {}) {
  const replica = new Replica();
  replica.pending = commits;
  const server = new FakeServer();
  const syncer = new Syncer(replica, server as unknown as HttpTransport, { live: false, lockName: `chunks-${Math.random()}`, ...options });
  return { replica, server, syncer };
}

/** The commits of each push, in order (a commit's events always travel together). */
const pushedCommits = (server: FakeServer) => server.pushed.map((ids) => [...new Set(ids.map((id) => id.split('.')[0]))]);

const refused = (status: number, code: string, message = 'refused') =>
  new SyncError(`The sync server answered ${status} (${code}): ${message}`, { details: { status, code } });

describe('pushing in chunks', () => {
  it('fills each push with whole commits up to maxEventsPerPush events; a larger commit goes alone', async () => {
    const { replica, server, syncer } = setup(
      [commit('a', 1), commit('b', 2), commit('c', 1), commit('d', 3), commit('e', 5), commit('f', 1)],
      { maxEventsPerPush: 3 },
    );
    await syncer.now();
    expect(pushedCommits(server)).toEqual([['a', 'b'], ['c'], ['d'], ['e'], ['f']]);
    expect(server.pushed.map((p) => p.length)).toEqual([3, 1, 3, 5, 1]);
    expect(replica.pending).toEqual([]);
    expect(replica.log.map((e) => e.id)).toEqual(server.log.map((e) => e.id));
    expect(replica.log.map((e) => e.position)).toEqual(Array.from({ length: 13 }, (_, i) => i + 1));
    expect(replica.status.sync).toBe('idle');
  });

  it('pushes up to 1000 events at once by default', async () => {
    const { server, syncer } = setup([commit('a', 600), commit('b', 400), commit('c', 1)]);
    await syncer.now();
    expect(pushedCommits(server)).toEqual([['a', 'b'], ['c']]);
  });

  it('pushes nothing when nothing is pending, and still pulls', async () => {
    const { replica, server, syncer } = setup([]);
    server.log.push({ ...event('theirs.0', 'theirs'), position: 1 });
    await syncer.now();
    expect(server.pushed).toEqual([]);
    expect(replica.log.map((e) => e.id)).toEqual(['theirs.0']);
  });
});

describe('a chunk the server refuses', () => {
  it('413: halves the chunk and what one push carries until the server takes it', async () => {
    // The server's body limit holds 3 events; ten one-event commits are pending.
    const { replica, server, syncer } = setup(Array.from({ length: 10 }, (_, i) => commit(`c${i}`)));
    server.pushFault = (events) => (events.length > 3 ? refused(413, 'too_large', 'body too large') : undefined);
    await syncer.now();
    const sizes = server.pushed.map((p) => p.length);
    // 10 refused, then 5 (half of it) refused, then never more than 2 (half of 5) again.
    expect(sizes.slice(0, 2)).toEqual([10, 5]);
    expect(Math.max(...sizes.slice(2))).toBe(2);
    expect(sizes.slice(2).reduce((a, b) => a + b, 0)).toBe(10);
    expect(replica.pending).toEqual([]);
    expect(replica.rejected).toEqual([]);
    expect(server.log.map((e) => e.id)).toEqual(Array.from({ length: 10 }, (_, i) => `c${i}.0`));
  });

  it('413 for a chunk of one big commit and small ones: the big one leaves, the small ones push', async () => {
    const { replica, server, syncer } = setup([commit('small1'), commit('big', 4), commit('small2'), commit('small3')], {
      maxEventsPerPush: 10,
    });
    server.pushFault = (events) => (events.length > 3 ? refused(413, 'too_large', 'body too large') : undefined);
    await syncer.now();
    expect(replica.rejected.map((r) => r.commit)).toEqual(['big']);
    expect(replica.rejected[0]!.reason).toEqual({
      name: 'InvalidEventError',
      message: 'The sync server refused commit big (4 events) as too large: The sync server answered 413 (too_large): body too large',
    });
    expect(server.log.map((e) => e.id)).toEqual(['small1.0', 'small2.0', 'small3.0']);
    expect(replica.pending).toEqual([]);
    expect(replica.status).toMatchObject({ sync: 'idle', lastError: replica.rejected[0]!.reason });
  });

  it('400 invalid: halves the chunk until the commit at fault stands alone; it leaves the log with the server’s reason', async () => {
    const names = ['a', 'poison', 'b', 'c', 'd', 'e', 'f'];
    const { replica, server, syncer } = setup(names.map((n) => commit(n)));
    server.pushFault = (events) =>
      events.some((e) => e.commit === 'poison') ? refused(400, 'invalid', 'events[0].type: poison is not allowed here') : undefined;
    await syncer.now();
    expect(pushedCommits(server)).toEqual([
      names,
      ['a', 'poison', 'b', 'c'],
      ['a', 'poison'],
      ['a'],
      ['poison', 'b'],
      ['poison'],
      ['b'],
      ['c', 'd'],
      ['e', 'f'],
    ]);
    expect(replica.rejected.map((r) => r.reason)).toEqual([
      {
        name: 'InvalidEventError',
        message:
          'The sync server refused commit poison (1 event) as invalid: The sync server answered 400 (invalid): events[0].type: poison is not allowed here',
      },
    ]);
    expect(server.log.map((e) => e.commit)).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    expect(replica.status.lastError?.message).toContain('poison is not allowed here');
  });

  it('409 that is the protocol’s: the commit leaves the log as conflicting', async () => {
    const { replica, server, syncer } = setup([commit('dup', 2)]);
    server.pushFault = () => refused(409, 'conflict', 'event dup.0 is stored with other content');
    await syncer.now();
    expect(replica.rejected.map((r) => [r.commit, r.reason.message])).toEqual([
      [
        'dup',
        'The sync server refused commit dup (2 events) as conflicting with events it holds: The sync server answered 409 (conflict): event dup.0 is stored with other content',
      ],
    ]);
    expect(replica.pending).toEqual([]);
  });

  it('statuses that may pass on retry are not the commit’s fault: the round fails, the commit stays', async () => {
    const cases = [
      refused(409, 'http_error', 'HTTP 409'),
      refused(400, 'http_error', 'HTTP 400'),
      refused(400, 'bad_request'),
      refused(503, 'unavailable'),
      refused(500, 'invalid'),
    ];
    for (const error of cases) {
      const { replica, server, syncer } = setup([commit('a'), commit('b')]);
      server.pushFault = () => error;
      const thrown = await rejection(syncer.now());
      expect(thrown).toBe(error);
      // Not split: one push, the whole chunk, and both commits still pending.
      expect(pushedCommits(server)).toEqual([['a', 'b']]);
      expect(replica.pending.map((c) => c[0]!.commit)).toEqual(['a', 'b']);
      expect(replica.rejected).toEqual([]);
      expect(replica.status).toMatchObject({ sync: 'error', lastError: { name: 'SyncError', message: error.message } });
    }
  });

  it('an error that is not a SyncError is never taken as the commit’s fault', async () => {
    const { replica, server, syncer } = setup([commit('a')]);
    const odd = Object.assign(new Error('odd'), { details: { status: 413, code: 'too_large' } });
    server.pushFault = () => odd;
    const thrown = await rejection(syncer.now());
    expect(isSyncError(thrown)).toBe(true);
    expect(thrown.message).toBe('Sync failed: odd');
    expect((thrown as Error & { cause?: unknown }).cause).toBe(odd);
    expect(replica.pending).toHaveLength(1);
    expect(replica.rejected).toEqual([]);
  });
});

describe('conflicts in a push answer', () => {
  it('a commit whose expectedVersion failed leaves the log once, with the stream’s version; the others confirm', async () => {
    const { replica, server, syncer } = setup([commit('ok1'), commit('late', 2), commit('ok2')]);
    server.pushFault = (events) => {
      if (!events.some((e) => e.commit === 'late')) return undefined;
      let position = server.log.length;
      const pushed = (e: WireEvent, at: number) => {
        server.log.push({ ...e, position: at });
        return { id: e.id, position: at };
      };
      const results = events.map((e) =>
        e.commit === 'late' ? { id: e.id, error: 'conflict' as const, streamVersion: 7 } : pushed(e, ++position),
      );
      return { results, head: server.log.length };
    };
    const inputs: IntegrateInput[] = [];
    const integrate = replica.integrate.bind(replica);
    replica.integrate = (input) => {
      inputs.push(input);
      return integrate(input);
    };
    await syncer.now();
    expect(inputs.filter((i) => i.rejected.length > 0).map((i) => i.rejected)).toEqual([[{ commit: 'late', streamVersion: 7 }]]);
    expect(replica.rejected.map((r) => r.commit)).toEqual(['late']);
    expect(replica.log.map((e) => e.commit)).toEqual(['ok1', 'ok2']);
    expect(replica.pending).toEqual([]);
    // The conflict is what the app last hears of, after a round that went well.
    expect(replica.status).toMatchObject({ sync: 'idle', lastError: { name: 'ConcurrencyError', message: 'stream at 7' } });
  });

  it('a push with no conflict leaves nothing for rejected() and no error', async () => {
    const { replica, syncer } = setup([commit('a'), commit('b')]);
    await syncer.now();
    // One write: the pulled events (no empty integration for the push's no-conflicts).
    expect(replica.integrated.map((i) => [i.remote.map((e) => e.id), i.rejected])).toEqual([[['a.0', 'b.0'], []]]);
    expect(replica.rejected).toEqual([]);
    expect(replica.status.lastError).toBeUndefined();
    expect(replica.status.lastSyncedAt).toBeGreaterThan(0);
  });
});

describe('a push that fails', () => {
  it('for a retryable reason still pulls before the round reports the failure', async () => {
    const { replica, server, syncer } = setup([commit('mine')]);
    server.log.push({ ...event('theirs.0', 'theirs'), position: 1 });
    const down = refused(503, 'unavailable', 'down');
    server.pushFault = () => down;
    expect(await rejection(syncer.now())).toBe(down);
    expect(replica.log.map((e) => e.id)).toEqual(['theirs.0']);
    expect(replica.pending).toHaveLength(1);
  });

  it('with a 401 or a malformed answer does not pull (it would fail as well)', async () => {
    for (const error of [refused(401, 'unauthorized'), new ProtocolError('bad answer')]) {
      const { replica, server, syncer } = setup([commit('mine')]);
      server.log.push({ ...event('theirs.0', 'theirs'), position: 1 });
      let pulls = 0;
      const pull = server.pull.bind(server);
      server.pull = (after, limit) => {
        pulls++;
        return pull(after, limit);
      };
      server.pushFault = () => error;
      const thrown = await rejection(syncer.now());
      expect(thrown).toBe(error);
      expect(pulls).toBe(0);
      expect(replica.log).toEqual([]);
      if (isProtocolError(error)) expect(replica.status.lastError).toEqual({ name: 'ProtocolError', message: 'bad answer' });
      else
        expect(replica.status.lastError?.message).toBe(
          `${error.message}. Sync stops until the app gives a new token with store.sync.setToken()`,
        );
    }
  });
});

describe('pause() during the pushes', () => {
  it('sends no further push, and shows paused from then on, a rejected commit included', async () => {
    const { replica, server, syncer } = setup([commit('poison'), commit('a'), commit('b')], { maxEventsPerPush: 1 });
    server.pushFault = (events) => {
      if (events[0]!.commit !== 'poison') return undefined;
      syncer.pause();
      return refused(400, 'invalid', 'no poison');
    };
    const error = await rejection(syncer.now());
    expect(error.message).toBe('Sync was paused');
    expect(pushedCommits(server)).toEqual([['poison']]);
    expect(replica.rejected.map((r) => r.commit)).toEqual(['poison']);
    const paused = replica.statuses.indexOf('paused');
    expect(paused).toBeGreaterThan(0);
    expect(replica.statuses.slice(paused).every((s) => s === 'paused')).toBe(true);
    expect(replica.pending.map((c) => c[0]!.commit)).toEqual(['a', 'b']);
  });
});

describe('the pull', () => {
  it('goes on page by page until the server’s head', async () => {
    const { replica, server, syncer } = setup([], { pullLimit: 2 });
    for (let i = 1; i <= 5; i++) server.log.push({ ...event(`t${i}`, `t${i}`), position: i });
    let pulls = 0;
    const pull = server.pull.bind(server);
    server.pull = (after, limit) => {
      pulls++;
      return pull(after, limit);
    };
    await syncer.now();
    expect(replica.log.map((e) => e.position)).toEqual([1, 2, 3, 4, 5]);
    expect(pulls).toBe(3);
  });

  it('integrates page by page with nothing pending, and the pages together (up to 10,000 events) with commits pending', async () => {
    // Nothing pending: each page is in the log as soon as it came.
    const plain = setup([], { pullLimit: 1000 });
    for (let i = 1; i <= 3000; i++) plain.server.log.push({ ...event(`t${i}`, `t${i}`), position: i });
    await plain.syncer.now();
    expect(plain.replica.integrated.map((input) => input.remote.length)).toEqual([1000, 1000, 1000]);
    // Pending: every integration rebases them, so the round's pages go in together (the
    // pushed commit comes back with them), 10,000 events at most at a time.
    const { replica, server, syncer } = setup([commit('mine', 2)], { pullLimit: 1000 });
    for (let i = 1; i <= 12_000; i++) server.log.push({ ...event(`t${i}`, `t${i}`), position: i });
    await syncer.now();
    expect(replica.integrated.map((input) => input.remote.length)).toEqual([10_000, 2002]);
    expect(replica.log.map((e) => e.position)).toEqual(Array.from({ length: 12_002 }, (_, i) => i + 1));
    expect(replica.log.slice(-2).map((e) => e.id)).toEqual(['mine.0', 'mine.1']);
    expect(replica.pending).toEqual([]);
  });

  it('pulls up to 1000 events a page by default', async () => {
    const { replica, server, syncer } = setup([]);
    for (let i = 1; i <= 1001; i++) server.log.push({ ...event(`t${i}`, `t${i}`), position: i });
    const limits: number[] = [];
    const pull = server.pull.bind(server);
    server.pull = (after, limit) => {
      limits.push(limit);
      return pull(after, limit);
    };
    await syncer.now();
    expect(limits).toEqual([1000, 1000]);
    expect(replica.log).toHaveLength(1001);
  });

  it('a page that says the log goes on but holds no events is a ProtocolError', async () => {
    const { replica, server, syncer } = setup([]);
    server.pull = async () => ({ events: [], head: 5 });
    const error = await rejection(syncer.now());
    expect(isProtocolError(error)).toBe(true);
    expect(error.message).toBe('The sync server says its log ends at 5 but sent no events after 0');
    expect(error.details).toEqual({ head: 5, after: 0 });
    expect(replica.status).toMatchObject({ sync: 'error', lastError: { name: 'ProtocolError', message: error.message } });
  });

  it('a page the replica cannot take (a gap) is pulled again from where the replica is', async () => {
    const { replica, server, syncer } = setup([]);
    for (let i = 1; i <= 3; i++) server.log.push({ ...event(`t${i}`, `t${i}`), position: i });
    const afters: number[] = [];
    let first = true;
    server.pull = async (after, limit) => {
      afters.push(after);
      if (first) {
        first = false;
        return { events: server.log.slice(1, 3), head: 3 }; // skips position 1
      }
      return { events: server.log.slice(after, after + limit), head: 3 };
    };
    await syncer.now();
    expect(afters).toEqual([0, 0]);
    expect(replica.log.map((e) => e.position)).toEqual([1, 2, 3]);
  });
});

describe('confirming from the push answers', () => {
  /** The ids of the events each pull brought. */
  function pullsOf(server: FakeServer): string[][] {
    const pulled: string[][] = [];
    const pull = server.pull.bind(server);
    server.pull = async (after, limit) => {
      const page = await pull(after, limit);
      pulled.push(page.events.map((e) => e.id));
      return page;
    };
    return pulled;
  }

  it('confirms pushes the server placed right after the confirmed head from its answers, without pulling them back', async () => {
    const { replica, server, syncer } = setup([commit('a', 2), commit('b', 1), commit('c', 1)], { maxEventsPerPush: 2 });
    const pulled = pullsOf(server);
    await syncer.now();
    expect(server.pushed).toEqual([
      ['a.0', 'a.1'],
      ['b.0', 'c.0'],
    ]);
    // Both answers confirmed in one integration, at the server's positions; the pull found nothing more.
    expect(replica.integrated.map((input) => input.remote.map((e) => `${e.position}:${e.id}`))).toEqual([
      ['1:a.0', '2:a.1', '3:b.0', '4:c.0'],
    ]);
    expect(pulled).toEqual([[]]);
    expect(replica.log.map((e) => e.id)).toEqual(server.log.map((e) => e.id));
    expect(replica.pending).toEqual([]);
  });

  it('pulls back and rebases what the server placed after another replica’s events', async () => {
    const { replica, server, syncer } = setup([commit('a', 1), commit('b', 1)], { maxEventsPerPush: 1 });
    server.pushFault = (events) => {
      // Another replica's event lands on the server just before our second push.
      if (events[0]!.id === 'b.0') server.log.push({ ...event('other', 'other'), position: server.log.length + 1 });
      return undefined;
    };
    const pulled = pullsOf(server);
    await syncer.now();
    // a.0 was confirmed from its answer; b.0 at 3 (after `other`) came back with the pull.
    expect(replica.integrated.map((input) => input.remote.map((e) => `${e.position}:${e.id}`))).toEqual([['1:a.0'], ['2:other', '3:b.0']]);
    expect(pulled).toEqual([['other', 'b.0']]);
    expect(replica.log.map((e) => e.id)).toEqual(['a.0', 'other', 'b.0']);
  });

  it('pulls back pushes that carry schema versions: how a server that drops them is caught', async () => {
    const { replica, server, syncer } = setup([[{ ...event('v.0', 'v'), schemaVersion: 2 }]]);
    const pulled = pullsOf(server);
    await syncer.now();
    expect(pulled).toEqual([['v.0']]);
    expect(replica.integrated.map((input) => input.remote.map((e) => e.id))).toEqual([['v.0']]);
  });

  it('says which epoch the pushed events were read at, when every page was read at one', async () => {
    const { replica, syncer } = setup([commit('a', 1)]);
    replica.pushable = async () => ({ confirmed: 0, commits: [commit('a', 1)], epoch: 7 });
    await syncer.now();
    expect(replica.integrated.map((input) => input.readAt)).toEqual([7]);
  });
});

describe('reading the pending commits a page at a time', () => {
  it('reads the next page while it pushes one, and pushes every page in order', async () => {
    const { replica, server, syncer } = setup([], { maxEventsPerPush: 2 });
    const pages = [[commit('a'), commit('b')], [commit('c'), commit('d')], [commit('e')]];
    const order: string[] = [];
    replica.pushable = async (from?: number) => {
      const page = from ?? 0;
      order.push(`read ${page}`);
      return { confirmed: 0, commits: pages[page]!, epoch: 1, ...(page + 1 < pages.length ? { next: page + 1 } : {}) };
    };
    const push = server.push.bind(server);
    server.push = async (events) => {
      order.push(`push ${events.map((e) => e.commit).join(' ')}`);
      return push(events);
    };
    await syncer.now();
    expect(order).toEqual(['read 0', 'read 1', 'push a b', 'read 2', 'push c d', 'push e']);
    expect(replica.log.map((e) => e.id)).toEqual(['a.0', 'b.0', 'c.0', 'd.0', 'e.0']);
  });

  it('does not say an epoch when the pages were read at different ones', async () => {
    const { replica, syncer } = setup([], { maxEventsPerPush: 1 });
    replica.pushable = async (from?: number) =>
      from === undefined ? { confirmed: 0, commits: [commit('a')], next: 2, epoch: 1 } : { confirmed: 0, commits: [commit('b')], epoch: 2 };
    await syncer.now();
    expect(replica.integrated.map((input) => 'readAt' in input)).toEqual([false]);
  });
});
