/**
 * Every conversion between an event's shapes on the client, in one place: what a record
 * holds (RecordEvent), what the app and reducers see (StoredEvent), and what goes over the
 * wire (WireEvent, PositionedEvent). Optional fields (`payload`, `meta`, `schemaVersion`)
 * are copied only when present, so a round trip gives back the same object shape.
 * (`schemaVersion` is absent for version 1: core/upcast.ts invariant 2.)
 */
import type { StoredEvent, ValidInput } from '../core/event.ts';
import type { PositionedEvent, WireEvent } from '../protocol/wire.ts';
import type { LogRecord, RecordEvent } from './schema.ts';

/** A record's event as the app sees it, at `position`. */
export function storedEvent(e: RecordEvent, position: number, pending: boolean): StoredEvent {
  const stored: StoredEvent = {
    id: e.id,
    type: e.type,
    payload: e.payload,
    stream: e.stream,
    position,
    pending,
    clientId: e.clientId,
    commit: e.commit,
    time: e.time,
  };
  if (e.meta !== undefined) stored.meta = e.meta;
  if (e.schemaVersion !== undefined) stored.schemaVersion = e.schemaVersion;
  return stored;
}

/** A server's event (pulled, or confirmed by a push's answer) as a record holds it. */
export function recordEventFromWire(e: WireEvent | PositionedEvent): RecordEvent {
  const body: RecordEvent = {
    id: e.id,
    type: e.type,
    payload: e.payload,
    stream: e.stream,
    clientId: e.clientId,
    commit: e.commit,
    time: e.time,
  };
  if (e.meta !== undefined) body.meta = e.meta;
  if (e.schemaVersion !== undefined) body.schemaVersion = e.schemaVersion;
  return body;
}

/** A pending event as pushed; `expectedVersion`: its record's (the commit's), if any. */
export function wireEvent(e: RecordEvent, expectedVersion?: LogRecord['ev']): WireEvent {
  const wire: WireEvent = { id: e.id, type: e.type, stream: e.stream, clientId: e.clientId, commit: e.commit, time: e.time };
  if (e.payload !== undefined) wire.payload = e.payload;
  if (e.meta !== undefined) wire.meta = e.meta;
  if (e.schemaVersion !== undefined) wire.schemaVersion = e.schemaVersion;
  if (expectedVersion !== undefined) wire.expectedVersion = expectedVersion;
  return wire;
}

/** A new event of a commit made here, in the current schema version of its type. */
export function newRecordEvent(
  input: ValidInput,
  made: { id: string; clientId: string; commit: string; time: number; schemaVersion: number },
): RecordEvent {
  const body: RecordEvent = {
    id: made.id,
    type: input.type,
    payload: input.payload,
    stream: input.stream,
    clientId: made.clientId,
    commit: made.commit,
    time: made.time,
  };
  if (input.meta !== undefined) body.meta = input.meta;
  if (made.schemaVersion > 1) body.schemaVersion = made.schemaVersion; // core/upcast.ts invariant 2
  return body;
}
