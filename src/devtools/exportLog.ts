/**
 * The log as one JSON document (docs/devtools.md "Export format"), for a bug report: every
 * event the store holds, in log order, with the store's status when exported.
 */
import type { Store, StoreStatus } from '../api/store.ts';
import type { StoredEvent } from '../core/event.ts';

export const LOG_EXPORT_FORMAT = 'eventloom-log';
export const LOG_EXPORT_VERSION = 1;

export interface LogExport {
  format: typeof LOG_EXPORT_FORMAT;
  version: typeof LOG_EXPORT_VERSION;
  /** ms since epoch, the exporting device's clock. */
  exportedAt: number;
  /** The exporting replica's client id. */
  clientId: string;
  status: Pick<StoreStatus, 'head' | 'pending' | 'compacted'>;
  /** Every event the store holds (after the compaction point), in log order. */
  events: StoredEvent[];
}

/** Events read per page while exporting. */
const PAGE = 1000;

export async function exportLog(store: Store): Promise<LogExport> {
  const { head, pending, compacted } = store.status;
  const events: StoredEvent[] = [];
  for (let after = compacted ?? 0; ; ) {
    const page = await store.events({ after, before: head + 1, limit: PAGE });
    events.push(...page);
    if (page.length < PAGE) break;
    after = page[page.length - 1]!.position;
  }
  const status: LogExport['status'] = { head, pending };
  if (compacted !== undefined) status.compacted = compacted;
  return { format: LOG_EXPORT_FORMAT, version: LOG_EXPORT_VERSION, exportedAt: Date.now(), clientId: store.clientId, status, events };
}
