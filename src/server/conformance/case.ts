/** One conformance check, before the suite wraps it: a named run against a fresh storage. */
import type { EventsResponse } from '../../protocol/wire.ts';
import type { SyncStorage } from '../storage.ts';

export interface Case {
  name: string;
  run(storage: SyncStorage): Promise<void>;
}

/** The log most checks write to. */
export const LOG = 'conformance-log';

/** Everything a log holds. */
export const readAll = (storage: SyncStorage, logId = LOG): Promise<EventsResponse> => storage.read(logId, 0, 100_000);
