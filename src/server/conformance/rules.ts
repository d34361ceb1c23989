/**
 * Conformance: the push rule as a storage applies it (plan.ts invariants 1 and 3):
 * expectedVersion per commit and stream, and invalid pushes refused whole with
 * InvalidPushError (the app answers it 400).
 */
import type { SyncStorage } from '../storage.ts';
import type { WireEvent } from '../../protocol/wire.ts';
import { InvalidPushError } from '../plan.ts';
import { check, describeError, rejection, same } from './assert.ts';
import { LOG, readAll, type Case } from './case.ts';
import { conflicts, landed, positioned, wireCommit, wireEvent } from './events.ts';

/**
 * Throws unless `push` rejects with the InvalidPushError of "eventloom/server" (which
 * planPush() throws): the app recognises that class, and answers anything else 500.
 */
export async function invalid(push: Promise<unknown>, what: string): Promise<Error> {
  const error = await rejection(push, what);
  check(
    error instanceof InvalidPushError && error.name === 'InvalidPushError',
    `${what}: expected an InvalidPushError (from "eventloom/server"; planPush() throws it), got ${describeError(error)}`,
  );
  return error;
}

export const expectedVersion: Case[] = [
  {
    name: "rejects a commit expecting 'none' on a non-empty stream, stores none of it, and still lands the next commit of the push",
    async run(storage) {
      await storage.push(LOG, wireCommit(2, { stream: 's' }));
      const rejected = wireCommit(2, { stream: 's', expectedVersion: 'none' });
      const next = wireCommit(1, { stream: 's' });

      same(
        await storage.push(LOG, [...rejected, ...next]),
        { results: [...conflicts(rejected, 2), ...landed(next, 3)], head: 3 },
        "a commit expecting 'none' on a stream at 2, then another",
      );
      const { events, head } = await readAll(storage);
      same(head, 3, 'the head read back');
      same(
        events.map((e) => e.position),
        [1, 2, 3],
        'the positions read back',
      );
      const ids = events.map((e) => e.id);
      check(!ids.includes(rejected[0]!.id) && !ids.includes(rejected[1]!.id), 'a rejected commit was stored');
      same(events[2], positioned(next[0]!, 3), 'the commit after the rejected one, read back');
    },
  },
  {
    name: 'rejects a commit whose numeric expectedVersion is stale and lands one that matches',
    async run(storage) {
      await storage.push(LOG, wireCommit(3, { stream: 's' }));
      const stale = wireCommit(2, { stream: 's', expectedVersion: 2 });
      const ahead = wireCommit(1, { stream: 's', expectedVersion: 4 });
      const right = wireCommit(2, { stream: 's', expectedVersion: 3 });

      same(
        await storage.push(LOG, [...stale, ...ahead, ...right]),
        { results: [...conflicts(stale, 3), ...conflicts(ahead, 3), ...landed(right, 4)], head: 5 },
        'commits expecting 2, 4 and 3 of a stream at 3',
      );
      // the rejected ids were not remembered: sent again with the right version, they land
      const retried = stale.map((e) => ({ ...e, expectedVersion: 5 }));
      same(
        await storage.push(LOG, retried),
        { results: landed(retried, 6), head: 7 },
        'the rejected commit sent again with the right version',
      );
      const { events } = await readAll(storage);
      same(
        events.slice(3),
        [...right, ...retried].map((e, i) => positioned(e, i + 4)),
        'the events read back',
      );
    },
  },
  {
    name: 'counts a stream version within one push: a second commit expecting the old version conflicts',
    async run(storage) {
      const first = wireCommit(2, { stream: 's', expectedVersion: 'none' });
      const second = wireCommit(1, { stream: 's', expectedVersion: 'none' });
      const third = wireCommit(1, { stream: 's', expectedVersion: 2 });
      same(
        await storage.push(LOG, [...first, ...second, ...third]),
        { results: [...landed(first, 1), ...conflicts(second, 2), ...landed(third, 3)], head: 3 },
        "commits expecting 'none', 'none' and 2 in one push",
      );
    },
  },
  {
    name: 'checks the version of the named stream only, not of the log or other streams',
    async run(storage) {
      await storage.push(LOG, wireCommit(3, { stream: 'other' }));
      const commit = wireCommit(1, { stream: 's', expectedVersion: 'none' });
      same(
        await storage.push(LOG, commit),
        { results: landed(commit, 4), head: 4 },
        "expectedVersion 'none' on an empty stream of a non-empty log",
      );
      const conflict = wireCommit(1, { stream: 'other', expectedVersion: 4 });
      same(
        await storage.push(LOG, conflict),
        { results: conflicts(conflict, 3), head: 4 },
        'expectedVersion 4 (the head) on a stream at 3',
      );
    },
  },
  {
    name: 'does not count $undo/$redo markers toward a stream version',
    async run(storage) {
      const base = wireCommit(2, { stream: 's' });
      await storage.push(LOG, base);
      const markers = [
        wireEvent({ stream: 's', type: '$undo', payload: { commit: base[0]!.commit } }),
        wireEvent({ stream: 's', type: '$redo', payload: { commit: base[0]!.commit } }),
        wireEvent({ stream: 's', type: '$undo', payload: { commit: base[0]!.commit } }),
      ];
      same(await storage.push(LOG, markers), { results: landed(markers, 3), head: 5 }, 'three markers');

      const countingMarkers = wireCommit(1, { stream: 's', expectedVersion: 5 });
      same(
        await storage.push(LOG, countingMarkers),
        { results: conflicts(countingMarkers, 2), head: 5 },
        'expectedVersion counting the markers',
      );
      const right = wireCommit(1, { stream: 's', expectedVersion: 2 });
      same(await storage.push(LOG, right), { results: landed(right, 6), head: 6 }, 'expectedVersion not counting the markers');
    },
  },
];

/** Throws unless the log holds exactly `events`, at 1..n. */
async function unchanged(storage: SyncStorage, events: readonly WireEvent[]): Promise<void> {
  same(
    await readAll(storage),
    { events: events.map((e, i) => positioned(e, i + 1)), head: events.length },
    'the log after an invalid push',
  );
  same(await storage.head(LOG), events.length, 'head(log) after an invalid push');
}

export const invalidPushes: Case[] = [
  {
    name: 'throws InvalidPushError for a commit that is partly in the log already, and stores nothing of the push',
    async run(storage) {
      const known = wireCommit(2);
      await storage.push(LOG, known);
      const fresh = wireCommit(1);
      const partly = [known[0]!, wireEvent({ commit: known[0]!.commit })];
      await invalid(storage.push(LOG, [...fresh, ...partly]), 'a push with a commit partly in the log');
      await unchanged(storage, known);
      // nothing was half-written: the valid commit lands at the next position when pushed alone
      same(await storage.push(LOG, fresh), { results: landed(fresh, 3), head: 3 }, "the invalid push's valid commit pushed alone");
    },
  },
  {
    name: 'throws InvalidPushError for an event id that appears twice in one push, and stores nothing',
    async run(storage) {
      const known = wireCommit(1);
      await storage.push(LOG, known);
      const twice = wireEvent();
      const push = [wireEvent(), twice, { ...twice, commit: 'another-commit', payload: { other: true } }];
      await invalid(storage.push(LOG, push), 'a push with an id twice');
      await unchanged(storage, known);
    },
  },
  {
    name: 'throws InvalidPushError for a commit whose events are not consecutive in the push, and stores nothing',
    async run(storage) {
      const split = wireCommit(2);
      await invalid(storage.push(LOG, [split[0]!, wireEvent(), split[1]!]), 'a push with a commit split by another');
      await unchanged(storage, []);
    },
  },
  {
    name: 'throws InvalidPushError for a commit with expectedVersion spanning two streams, and stores nothing',
    async run(storage) {
      const commit = wireCommit(2, { expectedVersion: 'none' });
      commit[1] = { ...commit[1]!, stream: 'elsewhere' };
      await invalid(storage.push(LOG, [...wireCommit(1), ...commit]), 'a push with a commit with expectedVersion over two streams');
      await unchanged(storage, []);
    },
  },
];
