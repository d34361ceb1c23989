/**
 * An engine's start-up: its database opened, this client's id, and the view of the log it
 * starts from.
 */
import { uuidv7 } from 'uuidv7';
import { MarkerLog, markerOf, type HistoryWalk } from '../core/markers.ts';
import type { Projection } from '../core/projection.ts';
import { readCommit, readEvents, readHead, readMarkers } from '../storage/log.ts';
import { findSnapshot } from '../storage/snapshots.ts';
import { openLogDb, type LogDb, type SnapshotRecord } from '../storage/schema.ts';
import { countPending, readRewrites } from '../storage/sync.ts';
import type { EngineConfig } from './engine.ts';
import { Working, type LogContext } from './working.ts';
import type { Writer } from './writer.ts';

/** Checks the projections, opens the database and reads this client's id (made and stored on first use). */
export async function openDatabase(config: EngineConfig): Promise<{ db: LogDb; clientId: string; projections: Projection<unknown>[] }> {
  if (typeof config.name !== 'string' || config.name.length === 0) throw new TypeError('createStore: name must be a non-empty string');
  const projections = Object.entries(config.projections ?? {}).map(([key, p]) => {
    if (p.name !== key) throw new TypeError(`createStore: projection "${p.name}" is registered under the key "${key}"; use its name as key`);
    return p as Projection<unknown>;
  });
  const db = openLogDb(config);
  await db.open();
  // A read-only look first: a read-write transaction costs more, and is needed only once.
  const known = config.clientId ?? (await db.meta.get('clientId'))?.value;
  const clientId = typeof known === 'string' ? known : await db.transaction('rw', db.meta, async () => {
    const stored = await db.meta.get('clientId');
    if (typeof stored?.value === 'string') return stored.value;
    const made = uuidv7();
    await db.meta.put({ key: 'clientId', value: made });
    return made;
  });
  return { db, clientId, projections };
}

/** The log as start-up found it. */
export interface StartView {
  head: number;
  epoch: number;
  pending: number;
  markers: MarkerLog;
  /** Every projection at `head`, and the snapshots its replay captured. */
  ws: Working;
  history: HistoryWalk;
}

/** The longest tail start-up reads at once (a multiple of the default snapshot interval). */
const TAIL_EVENTS = 10_000;

/** Start-up: markers, then every projection from its newest valid snapshot plus the tail. */
export async function readStart(ctx: LogContext, writer: Writer): Promise<StartView> {
  const { db } = ctx;
  // One read transaction: head, markers, snapshots and tail from one state of the log.
  // Independent reads are issued together: a fresh worker pays a round trip per await.
  return db.transaction('r', db.records, db.snapshots, db.meta, async () => {
    const [head, rewrites, pending, markerEvents] = await Promise.all([readHead(db), readRewrites(db), countPending(db), readMarkers(db)]);
    const markers = new MarkerLog();
    for (const e of markerEvents) if (e.position <= head) markers.add(markerOf(e)!);
    // Where each marker's target starts decides which snapshots are valid starts. The tail
    // after the newest snapshot is read anyway for the replay: the targets in it are found
    // there, and only older ones (an undo reaching past a snapshot) are looked up.
    // (A tail longer than TAIL_EVENTS, as without snapshots, is streamed by rebuild() instead.)
    const newest = await Promise.all(ctx.projections.map((p) => findSnapshot(db, p.name, p.version, head, () => true)));
    const tailFrom = Math.min(head, ...newest.map((s) => s?.position ?? 0)) + 1;
    const tail = tailFrom <= head && head - tailFrom < TAIL_EVENTS ? await readEvents(db, tailFrom, head) : [];
    const wanted = new Set(markers.unknownTargets());
    // A commit's events are consecutive: only the one at the tail's first position may have
    // started before it.
    const straddles = tail[0]?.commit;
    for (const e of tail) if (e.commit !== straddles && wanted.delete(e.commit)) markers.setFirst(e.commit, e.position);
    const targets = [...wanted];
    const firsts = await Promise.all(targets.map(async (target) => (await readCommit(db, target))[0]?.position));
    targets.forEach((target, i) => {
      if (firsts[i] !== undefined) markers.setFirst(target, firsts[i]);
    });
    // A working copy that knows only the markers: rebuild() sets every projection's state.
    const working = new Working(ctx, { head, maxTime: -Infinity, pending, epoch: rewrites.epoch, states: {}, markers, versions: new Map() });
    const [, history] = await Promise.all([working.rebuild(head, { captureMissing: true, tail }), writer.history({ head, markers })]);
    return { head, epoch: rewrites.epoch, pending, markers, ws: working, history };
  });
}

export async function saveSnapshots(db: LogDb, snapshots: SnapshotRecord[]): Promise<void> {
  for (const s of snapshots) {
    // A state that cannot be cloned cannot be snapshotted; replay still derives it.
    await db.snapshots.put(s).catch(() => undefined);
  }
}
