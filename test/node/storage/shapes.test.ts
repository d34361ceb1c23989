/**
 * The event-shape conversions (src/storage/shapes.ts): a record's event, the app's
 * StoredEvent and the wire's event carry the same data, optional fields only when present.
 */
import { describe, expect, it } from 'vitest';
import type { PositionedEvent } from '../../../src/protocol/wire.ts';
import type { RecordEvent } from '../../../src/storage/schema.ts';
import { newRecordEvent, recordEventFromWire, storedEvent, wireEvent } from '../../../src/storage/shapes.ts';

const full: RecordEvent = {
  id: 'e1',
  type: 'added',
  payload: { text: 'milk' },
  stream: 'todos',
  clientId: 'c1',
  commit: 'k1',
  time: 1_700_000_000_000,
  meta: { by: 'ann' },
  schemaVersion: 3,
};
const bare: RecordEvent = { id: 'e2', type: 'cleared', payload: undefined, stream: 'default', clientId: 'c1', commit: 'k2', time: 5 };

describe('event shapes', () => {
  it('a record event goes to the wire and back unchanged, with and without its optional fields', () => {
    for (const e of [full, bare]) {
      const wire = wireEvent(e);
      const back = recordEventFromWire({ ...wire, position: 7 } satisfies PositionedEvent);
      expect(back).toEqual(e);
      expect(Object.keys(back).sort()).toEqual(Object.keys(e).sort());
    }
  });

  it('the wire event has no payload, meta or schemaVersion key when the event has none', () => {
    expect(Object.keys(wireEvent(bare)).sort()).toEqual(['clientId', 'commit', 'id', 'stream', 'time', 'type']);
  });

  it('a pending commit’s expectedVersion goes with each of its events to the wire', () => {
    expect(wireEvent(full, 'none').expectedVersion).toBe('none');
    expect(wireEvent(full, 4).expectedVersion).toBe(4);
    expect('expectedVersion' in wireEvent(full)).toBe(false);
  });

  it('the app sees a record event at its position, pending or not, with its optional fields when present', () => {
    expect(storedEvent(full, 9, true)).toEqual({ ...full, position: 9, pending: true });
    const stored = storedEvent(bare, 2, false);
    expect(stored).toEqual({ ...bare, position: 2, pending: false });
    expect('meta' in stored || 'schemaVersion' in stored).toBe(false);
  });

  it('a new event records its schema version only past version 1', () => {
    const made = { id: 'n1', clientId: 'c1', commit: 'k3', time: 10 };
    const input = { type: 'added', payload: { text: 'tea' }, stream: 'todos' };
    expect('schemaVersion' in newRecordEvent(input, { ...made, schemaVersion: 1 })).toBe(false);
    expect(newRecordEvent({ ...input, meta: { a: 1 } }, { ...made, schemaVersion: 2 })).toEqual({
      ...input,
      meta: { a: 1 },
      ...made,
      schemaVersion: 2,
    });
  });
});
