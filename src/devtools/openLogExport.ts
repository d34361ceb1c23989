/**
 * openLogExport(): a log export (./exportLog.ts) opened as a read-only in-process store, to
 * replay a user's bug report with the app's own projections and look at it in the inspector.
 * Its events keep their positions, ids, clients, commits, times and pending flags; the store
 * takes the exporting replica's client id (its undo stack is that user's). Writes reject with
 * ReadOnlyStoreError; its database is a new one, deleted when the store is closed.
 */
import * as v from 'valibot';
import type { Store } from '../api/store.ts';
import { InvalidEventError } from '../core/errors/index.ts';
import { firstIssue } from '../core/issues.ts';
import type { Projection } from '../core/projection.ts';
import type { Upcasters } from '../core/upcast.ts';
import { LOG_EXPORT_FORMAT, LOG_EXPORT_VERSION, type LogExport } from './exportLog.ts';

export interface OpenLogExportOptions {
  /** The app's projections (the export holds events, not states). */
  projections: Record<string, Projection<any>>;
  upcasters?: Upcasters;
  indexedDB?: IDBFactory;
  IDBKeyRange?: typeof IDBKeyRange;
}

const Text = v.pipe(v.string(), v.minLength(1));
const ExportObject = v.object({
  format: v.literal(LOG_EXPORT_FORMAT, `not an Eventloom log export (format "${LOG_EXPORT_FORMAT}")`),
  version: v.literal(LOG_EXPORT_VERSION, `an export of version ${LOG_EXPORT_VERSION} (this inspector's) is needed`),
  exportedAt: v.number(),
  clientId: Text,
  status: v.object({ head: v.number(), pending: v.number(), compacted: v.optional(v.number()) }),
  events: v.array(
    v.object({
      id: Text,
      type: Text,
      payload: v.unknown(),
      stream: Text,
      position: v.pipe(v.number(), v.integer(), v.minValue(1)),
      pending: v.boolean(),
      clientId: Text,
      commit: Text,
      time: v.number(),
      meta: v.optional(v.record(v.string(), v.unknown())),
      schemaVersion: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1))),
    }),
  ),
});

/** The whole log, consistent: checked before a database is made for it. */
const ExportSchema = v.pipe(
  ExportObject,
  v.check(
    (log) => (log.status.compacted ?? 0) === 0,
    'its store was compacted: it starts after the compaction point, without the states before it (only an export of a whole log can be replayed)',
  ),
  v.check((log) => log.events.every((e, i) => e.position === i + 1), 'events must hold every position from 1 on, in order'),
  v.check((log) => new Set(log.events.map((e) => e.id)).size === log.events.length, 'event ids must be unique'),
  v.check((log) => {
    const first = log.events.findIndex((e) => e.pending);
    return first === -1 || log.events.slice(first).every((e) => e.pending);
  }, 'pending events must be the log’s tail'),
  v.check((log) => log.status.head === log.events.length, 'status.head must be the number of events'),
  v.check(
    (log) => log.status.pending === log.events.filter((e) => e.pending).length,
    'status.pending must be the number of pending events',
  ),
  v.check(
    (log) =>
      log.events.every(
        (e) => (e.type !== '$undo' && e.type !== '$redo') || typeof (e.payload as { commit?: unknown } | null)?.commit === 'string',
      ),
    'an $undo or $redo event must name a commit',
  ),
);

export async function openLogExport(source: Blob | string | LogExport, options: OpenLogExportOptions): Promise<Store> {
  const log = parse(typeof source === 'string' ? source : source instanceof Blob ? await source.text() : source);
  const factory = options.indexedDB ?? globalThis.indexedDB;
  const name = `eventloom-export-${crypto.randomUUID()}`;
  // Loaded when used: an app that only mounts the inspector does not carry the engine twice.
  const { openLocalStore } = await import('../client/local.ts');
  return openLocalStore(
    {
      name,
      projections: options.projections,
      upcasters: options.upcasters,
      indexedDB: factory,
      IDBKeyRange: options.IDBKeyRange,
      clientId: log.clientId,
      persist: false,
      readOnly: true,
    },
    { seed: log.events as LogExport['events'], release: () => factory.deleteDatabase(name) },
  );
}

function parse(input: string | LogExport): v.InferOutput<typeof ExportSchema> {
  let data: unknown = input;
  if (typeof input === 'string') {
    try {
      data = JSON.parse(input);
    } catch (cause) {
      throw new InvalidEventError(`Not a log export: ${(cause as Error).message}`, { cause });
    }
  }
  const result = v.safeParse(ExportSchema, data);
  if (!result.success) {
    const { path, message } = firstIssue(result.issues);
    throw new InvalidEventError(`Not a log export${path ? ` (at ${path})` : ''}: ${message}`, { details: { path } });
  }
  return result.output;
}
