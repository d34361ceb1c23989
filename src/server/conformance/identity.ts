/**
 * Conformance: what an id and a commit are for good (plan.ts invariants 1, 4 and 5). An id
 * pushed again with other content is a ConflictingPushError (409); a marker names a commit
 * the log holds, never a marker; a commit is stored whole or not at all.
 */
import type { WireEvent } from '../../protocol/wire.ts';
import { ConflictingPushError } from '../plan.ts';
import { check, describeError, rejection, same } from './assert.ts';
import { LOG, readAll, type Case } from './case.ts';
import { landed, positioned, wireCommit, wireEvent } from './events.ts';
import { invalid } from './rules.ts';

const changes: [string, Partial<WireEvent>][] = [
  ['payload', { payload: { n: -1 } }],
  ['type', { type: 'renamed' }],
  ['stream', { stream: 'elsewhere' }],
  ['meta', { meta: { by: 'someone else' } }],
];

export const ids: Case[] = [
  ...changes.map(
    ([field, change]): Case => ({
      name: `throws ConflictingPushError for a known id pushed again with another ${field}; the stored event and the rest of the push stay out`,
      async run(storage) {
        const known = wireCommit(1);
        await storage.push(LOG, known);
        const fresh = wireCommit(1);
        const changed = { ...known[0]!, ...change };
        const what = `a known id pushed again with another ${field}`;
        const error = await rejection(storage.push(LOG, [...fresh, changed]), what);
        check(
          error instanceof ConflictingPushError,
          `${what}: expected a ConflictingPushError (from "eventloom/server"; planPush() throws it), got ${describeError(error)}`,
        );
        check(error.message.includes(known[0]!.id), `${what}: the ConflictingPushError's message does not name the id (${error.message})`);
        same(await readAll(storage), { events: [positioned(known[0]!, 1)], head: 1 }, `the log after ${what}`);
      },
    }),
  ),
  {
    name: 'answers the same content pushed again with its position, payload and meta compared as data',
    async run(storage) {
      const known = wireCommit(2, { payload: { a: 1, nested: { b: [1, 2, { c: 'ü' }] } }, meta: { m: true } });
      await storage.push(LOG, known);
      const again = known.map((e) => JSON.parse(JSON.stringify(e)) as WireEvent);
      same(await storage.push(LOG, again), { results: landed(known, 1), head: 2 }, 'known events pushed again as copies');
    },
  },
];

const absentTargets: [string, (later: WireEvent[]) => string][] = [
  ['a commit the log does not hold', () => 'no-such-commit'],
  ['a commit later in the same push', (later) => later[0]!.commit],
];

export const markers: Case[] = [
  {
    name: 'stores a marker whose target is in the log, or earlier in the same push',
    async run(storage) {
      const target = wireCommit(2);
      await storage.push(LOG, target);
      const undo = wireEvent({ type: '$undo', payload: { commit: target[0]!.commit } });
      const fresh = wireCommit(1);
      const redo = wireEvent({ type: '$redo', payload: { commit: fresh[0]!.commit } });
      same(
        await storage.push(LOG, [undo, ...fresh, redo]),
        { results: landed([undo, ...fresh, redo], 3), head: 5 },
        'markers naming a commit in the log and one earlier in the push',
      );
    },
  },
  ...absentTargets.map(
    ([title, target]): Case => ({
      name: `throws InvalidPushError for a marker naming ${title}, and stores nothing`,
      async run(storage) {
        const known = wireCommit(1);
        await storage.push(LOG, known);
        const later = wireCommit(1);
        const undo = wireEvent({ type: '$undo', payload: { commit: target(later) } });
        await invalid(storage.push(LOG, [...wireCommit(1), undo, ...later]), `a push with a marker naming ${title}`);
        same(await readAll(storage), { events: [positioned(known[0]!, 1)], head: 1 }, 'the log after an invalid push');
      },
    }),
  ),
  {
    name: 'throws InvalidPushError for a marker naming a marker, in the log or in the same push',
    async run(storage) {
      const app = wireCommit(1);
      const undo = wireEvent({ type: '$undo', payload: { commit: app[0]!.commit } });
      await storage.push(LOG, [...app, undo]);
      const inLog = await rejection(
        storage.push(LOG, [wireEvent({ type: '$undo', payload: { commit: undo.commit } })]),
        'a marker naming a marker in the log',
      );
      check(
        inLog instanceof Error && /marker/.test(inLog.message),
        `a marker naming a marker in the log: expected an error whose message says "marker", got ${describeError(inLog)}`,
      );
      const redo = wireEvent({ type: '$redo', payload: { commit: app[0]!.commit } });
      await invalid(
        storage.push(LOG, [redo, wireEvent({ type: '$undo', payload: { commit: redo.commit } })]),
        'a marker naming a marker earlier in the push',
      );
      same((await readAll(storage)).head, 2, 'the head after two invalid pushes');
    },
  },
];

export const wholeCommits: Case[] = [
  {
    name: 'stores nothing of a push whose second event cannot be stored',
    async run(storage) {
      const known = wireCommit(1);
      await storage.push(LOG, known);
      const commit = wireCommit(2);
      // Data no storage can keep (a function cannot be copied, a BigInt not serialised): the
      // push rule accepts it, then storing the second event fails.
      commit[1] = { ...commit[1]!, payload: { fn: () => 1, big: 1n } };
      await rejection(storage.push(LOG, commit), 'a push whose second event holds a function and a BigInt');
      same(await readAll(storage), { events: [positioned(known[0]!, 1)], head: 1 }, 'the log after a push that could not be stored');
      const retry = wireCommit(2);
      same(await storage.push(LOG, retry), { results: landed(retry, 2), head: 3 }, 'the next push');
    },
  },
];
