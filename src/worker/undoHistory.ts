/**
 * What undo() and redo() of this client act on, and so the canUndo/canRedo flags. The
 * working copy's UndoIndex (core/undoIndex.ts) answers without reading the log while it
 * knows; otherwise a walk of the client's history (core/markers.ts HistoryWalk) reads the
 * own tail in memory first (Working invariant 5), then the log below it, and the index
 * keeps what it found. So a walk back over a run of undone commits is paid once, not on
 * every undo() and every change of the flags after it.
 */
import { HistoryWalk, type MarkerLog } from '../core/markers.ts';
import type { StoredEvent } from '../core/event.ts';
import { UndoIndex, type LiveCommit } from '../core/undoIndex.ts';
import { readCommit } from '../storage/log.ts';
import { scanRecords } from '../storage/scan.ts';
import { eventAt } from '../storage/records.ts';
import type { LogDb } from '../storage/schema.ts';
import { prependOwn, type OwnTail } from './tails.ts';

export interface UndoRedo {
  readonly undoTarget: string | undefined;
  readonly redoTarget: string | undefined;
}

/** The working copy's parts this reads and updates. */
interface UndoState {
  readonly head: number;
  readonly markers: MarkerLog;
  own: OwnTail;
  undo: UndoIndex;
}

export async function undoRedo(db: LogDb, clientId: string, ws: UndoState): Promise<UndoRedo> {
  // A commit the server rejected has left the log while its $undo may stay: it is not
  // "undone" any more, so redo() cannot pick it (its first position is known only for
  // commits in the log).
  const undone = (commit: string): boolean => ws.markers.isUndone(commit) && ws.markers.firstOf(commit) !== undefined;
  let index = ws.undo;
  if (index.redo === undefined) {
    const { walk, own } = await readHistory(db, clientId, ws, ws.head, false);
    ws.own = own;
    index = UndoIndex.walked(await located(db, ws, walk), walk.redoStack);
  } else if (!index.undoKnown) {
    const { walk, own } = await readHistory(db, clientId, ws, index.from - 1, true);
    ws.own = own;
    index = index.extended(await located(db, ws, walk));
  }
  ws.undo = index;
  return { undoTarget: index.undoTarget, redoTarget: index.redoTarget(undone) };
}

/** The walk's undo target and where it starts (its newest event was found; a commit may hold more). */
async function located(db: LogDb, ws: UndoState, walk: HistoryWalk): Promise<LiveCommit | undefined> {
  const commit = walk.undoTarget;
  if (commit === undefined) return undefined;
  let position = ws.markers.firstOf(commit);
  if (position === undefined && walk.undoAt !== undefined && walk.undoAt >= ws.own.from) {
    // In the own tail, which holds whole commits (Working invariant 5).
    position = ws.own.events.find((e) => e.commit === commit)?.position;
  }
  position ??= (await readCommit(db, commit))[0]?.position ?? walk.undoAt ?? 0;
  return { position, commit };
}

/**
 * Walks `clientId`'s history newest first from position `start` down: the own tail in memory
 * first (Working invariant 5), then the log before it. `undoOnly`: the redo stack is known;
 * stop at the undo target. Also answers the own tail extended with the own events of the
 * records it read, so the next walk need not read them again.
 */
export async function readHistory(
  db: LogDb,
  clientId: string,
  ws: { head: number; markers: MarkerLog; own?: OwnTail },
  start: number,
  undoOnly: boolean,
): Promise<{ walk: HistoryWalk; own: OwnTail }> {
  const walk = new HistoryWalk((commit) => ws.markers.isUndone(commit) && ws.markers.firstOf(commit) !== undefined, undoOnly);
  const own = ws.own ?? { from: ws.head + 1, events: [] };
  for (let i = own.events.length - 1; i >= 0; i--) {
    const e = own.events[i]!;
    if (e.position <= start && !walk.feed(e)) return { walk, own };
  }
  const below = Math.min(start, own.from - 1);
  if (below < 1) return { walk, own };
  // Records are read whole: every own event of each record read is kept.
  const read: StoredEvent[][] = [];
  let lowest = Infinity;
  await scanRecords(db, 'cl', [clientId, -Infinity], [clientId, below], true, (record) => {
    const mine: StoredEvent[] = [];
    record.events.forEach((e, i) => {
      if (e.clientId === clientId && record.first + i <= below) mine.push(eventAt(record, i));
    });
    read.push(mine);
    lowest = record.first;
    for (let i = mine.length - 1; i >= 0; i--) if (!walk.feed(mine[i]!)) return false;
    return true;
  });
  if (below !== own.from - 1 || lowest === Infinity) return { walk, own };
  const older = read.reverse().flat();
  // Every own event from `lowest` on was read; but a commit split across pulled records may
  // have started before `lowest`: then its events are left out and `from` moves past them.
  const first = older[0]?.position === lowest ? older[0] : undefined;
  const split = first && (await db.records.where('ck').equals(first.commit).primaryKeys()).some((k) => k < lowest) ? first.commit : undefined;
  const kept = split === undefined ? older : older.filter((e) => e.commit !== split);
  const from = split === undefined ? lowest : Math.max(...older.filter((e) => e.commit === split).map((e) => e.position)) + 1;
  return { walk, own: prependOwn(own, from, kept) };
}
