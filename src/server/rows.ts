/** A stored event as both SQL storages read it back (./sqliteStorage.ts, ./postgresStorage.ts). */
import type { PositionedEvent } from '../protocol/wire.ts';

export interface Row {
  position: number;
  id: string;
  type: string;
  payload: string | null;
  stream: string;
  client_id: string;
  commit_id: string;
  time: number;
  meta: string | null;
  schema_version: number | null;
}

export function fromRow(row: Row): PositionedEvent {
  const event: PositionedEvent = {
    id: row.id,
    type: row.type,
    stream: row.stream,
    clientId: row.client_id,
    commit: row.commit_id,
    time: row.time,
    position: Number(row.position),
  };
  if (row.payload !== null) event.payload = JSON.parse(row.payload);
  if (row.meta !== null) event.meta = JSON.parse(row.meta) as Record<string, unknown>;
  if (row.schema_version !== null) event.schemaVersion = Number(row.schema_version);
  return event;
}
