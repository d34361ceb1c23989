/**
 * The wire protocol's schemas (src/protocol/wire.ts), which the server checks every request
 * with and the client every answer: what they accept and what they refuse, with the message a
 * client developer reads.
 */
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import {
  EventsResponseSchema,
  LogIdSchema,
  PushRequestSchema,
  PushResponseSchema,
  WireEventSchema,
  type WireEvent,
} from '../../../src/protocol/wire.ts';

const event = (over: Record<string, unknown> = {}): WireEvent =>
  ({ id: 'e1', type: 't', stream: 's', clientId: 'c', commit: 'k', time: 1, ...over }) as WireEvent;

/** The first issue's message, or undefined when `data` passes. */
function refusal(schema: v.GenericSchema, data: unknown): string | undefined {
  const result = v.safeParse(schema, data);
  return result.success ? undefined : result.issues[0].message;
}

describe('LogIdSchema', () => {
  it('accepts names of letters, digits and . _ : - that do not start with "."', () => {
    for (const id of ['a', 'team-1', 'org:42.notes_v2', 'a.', 'a..b', 'x'.repeat(128)]) expect(refusal(LogIdSchema, id)).toBeUndefined();
  });

  it('refuses an id starting with ".", however it goes on', () => {
    for (const id of ['.', '..', '.hidden', '..x']) expect(refusal(LogIdSchema, id)).toBe('logId must not start with "."');
  });

  it('refuses empty, long, and other characters', () => {
    expect(refusal(LogIdSchema, '')).toBe('logId must not be empty');
    expect(refusal(LogIdSchema, 'x'.repeat(129))).toBe('logId must be at most 128 characters');
    expect(refusal(LogIdSchema, 'a/b')).toBe('logId may only contain A-Z a-z 0-9 . _ : -');
  });
});

describe('WireEventSchema', () => {
  const reserved = 'types starting with "$" are reserved: only $undo/$redo with payload { commit } are accepted';

  it('accepts app events, with $ anywhere but first', () => {
    for (const type of ['t', 'a$', 'todo.$added']) expect(refusal(WireEventSchema, event({ type }))).toBeUndefined();
  });

  it('accepts $undo and $redo naming a commit', () => {
    expect(refusal(WireEventSchema, event({ type: '$undo', payload: { commit: 'k0' } }))).toBeUndefined();
    expect(refusal(WireEventSchema, event({ type: '$redo', payload: { commit: 'k0' } }))).toBeUndefined();
  });

  it('refuses other $ types, even with a commit payload', () => {
    for (const type of ['$', '$snapshot', '$undone', '$$undo'])
      expect(refusal(WireEventSchema, event({ type, payload: { commit: 'k0' } }))).toBe(reserved);
  });

  it('refuses a marker without a string commit in its payload', () => {
    for (const payload of [undefined, null, 'k0', {}, { commit: 1 }, { commit: null }, { target: 'k0' }]) {
      expect(refusal(WireEventSchema, event({ type: '$undo', payload }))).toBe(reserved);
      expect(refusal(WireEventSchema, event({ type: '$redo', payload }))).toBe(reserved);
    }
  });

  it('refuses meta that is not an object, and bad versions', () => {
    for (const meta of [null, 5, 'x', []]) expect(refusal(WireEventSchema, event({ meta }))).toBe('meta must be an object');
    expect(refusal(WireEventSchema, event({ schemaVersion: 0 }))).toBe('schemaVersion must be at least 1');
    expect(refusal(WireEventSchema, event({ schemaVersion: 1.5 }))).toBe('schemaVersion must be an integer');
    expect(refusal(WireEventSchema, event({ expectedVersion: -1 }))).toBe('expectedVersion must be "none" or a non-negative integer');
    expect(refusal(WireEventSchema, event({ expectedVersion: 1.5 }))).toBe('expectedVersion must be "none" or a non-negative integer');
    expect(refusal(WireEventSchema, event({ expectedVersion: 'any' }))).toBe('expectedVersion must be "none" or a non-negative integer');
    expect(refusal(WireEventSchema, event({ time: Infinity }))).toBe('time must be finite');
    expect(refusal(WireEventSchema, event({ expectedVersion: 'none', schemaVersion: 2, meta: {} }))).toBeUndefined();
  });
});

describe('requests and answers', () => {
  it('a push holds at least one event', () => {
    expect(refusal(PushRequestSchema, { events: [] })).toBe('events must not be empty');
    expect(refusal(PushRequestSchema, { events: 'e1' })).toBe('events must be an array');
    expect(refusal(PushRequestSchema, { events: [event()] })).toBeUndefined();
  });

  it('positions start at 1, heads at 0, and a result is a position or a conflict', () => {
    expect(refusal(EventsResponseSchema, { events: [{ ...event(), position: 1 }], head: 1 })).toBeUndefined();
    expect(refusal(EventsResponseSchema, { events: [{ ...event(), position: 0 }], head: 1 })).toBeDefined();
    expect(refusal(EventsResponseSchema, { events: [], head: -1 })).toBeDefined();
    expect(refusal(PushResponseSchema, { results: [{ id: 'e1', error: 'conflict', streamVersion: 0 }], head: 0 })).toBeUndefined();
    expect(refusal(PushResponseSchema, { results: [{ id: 'e1', error: 'gone', streamVersion: 0 }], head: 0 })).toBeDefined();
    expect(refusal(PushResponseSchema, { results: [{ id: 'e1', position: 1.5 }], head: 2 })).toBeDefined();
  });
});
