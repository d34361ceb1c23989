/**
 * What undo() and redo() of this client act on, and so the canUndo/canRedo flags. The
 * draft's UndoIndex (core/undoIndex.ts) answers without reading the log while it
 * knows; otherwise a walk of the client's history (core/markers.ts HistoryWalk) reads the
 * own events in memory first (Draft invariant 5), then the log below it, and the index
 * keeps what it found. So a walk back over a run of undone commits is paid once, not on
 * every undo() and every change of the flags after it.
 */
import { HistoryWalk, type MarkerLog } from '../core/markers.ts';
import type { StoredEvent } from '../core/event.ts';
import { UndoIndex, type LiveCommit, type SavedUndoIndex } from '../core/undoIndex.ts';
import { rewrittenFrom, type Rewrites } from '../storage/rewrites.ts';
import { readCommit } from '../storage/log.ts';
import { scanRecords } from '../storage/scan.ts';
import { eventAt } from '../storage/records.ts';
import type { LogDb } from '../storage/schema.ts';
import { prependOwn, type OwnEvents } from './recent.ts';
import type { LogView } from './view.ts';

export interface UndoRedo {
  readonly undoTarget: string | undefined;
  readonly redoTarget: string | undefined;
}

/** The draft's parts this reads and updates (./draft.ts). */
interface UndoState {
  readonly view: Pick<LogView, 'head' | 'markers' | 'own' | 'undo'>;
  /** Replaces `own`, `undo`, and `undoWalked` (set when a walk filled `undo` in: then it is kept in the database, saveUndo). */
  set(patch: Partial<Pick<LogView, 'own' | 'undo' | 'undoWalked'>>): void;
}

export async function undoRedo(db: LogDb, clientId: string, draft: UndoState): Promise<UndoRedo> {
  const { markers } = draft.view;
  // A commit the server rejected has left the log while its $undo may stay: it is not
  // "undone" any more, so redo() cannot pick it (its first position is known only for
  // commits in the log).
  const undone = (commit: string): boolean => markers.isUndone(commit) && markers.firstOf(commit) !== undefined;
  let index = draft.view.undo;
  if (index.redo === undefined) {
    const { walk, own } = await readHistory(db, clientId, draft.view, draft.view.head, false);
    draft.set({ own });
    index = UndoIndex.walked(await located(db, draft.view, walk), walk.redoStack);
    draft.set({ undo: index, undoWalked: true });
  } else if (!index.undoKnown) {
    const { walk, own } = await readHistory(db, clientId, draft.view, index.from - 1, true);
    draft.set({ own });
    index = index.extended(await located(db, draft.view, walk));
    draft.set({ undo: index, undoWalked: true });
  }
  return { undoTarget: index.undoTarget, redoTarget: index.redoTarget(undone) };
}

/** What meta 'undo' holds: one client's index as it was at `head`, with the log's rewrite epoch and compaction point then. */
interface SavedUndo {
  clientId: string;
  epoch: number;
  /** The compaction point then (stored as `base`, the name it was first written with). */
  base: number;
  head: number;
  index: SavedUndoIndex;
}

const KEY = 'undo';

/**
 * Keeps the undo index in the database after a walk filled it in (in the batch's
 * transaction), so that start-up need not walk again: a walk back over a long run of undone
 * commits is then paid once, not at every start.
 */
export async function saveUndo(db: LogDb, clientId: string, view: Pick<LogView, 'epoch' | 'compacted' | 'head' | 'undo'>): Promise<void> {
  const value: SavedUndo = { clientId, epoch: view.epoch, base: view.compacted, head: view.head, index: view.undo.toSaved() };
  await db.meta.put({ key: KEY, value });
}

export function readSavedUndo(db: LogDb): Promise<unknown> {
  return db.meta.get(KEY).then((row) => row?.value);
}

/**
 * The kept index brought up to `at.head`, if it is this client's and still describes this log: nothing at or
 * before its head was rewritten since (a rebase, a rejected commit), the compaction point is
 * the same, and the events after its head are in `tail` (start-up's replay tail): each of
 * their commits goes in as the engine would have applied it. Else undefined: start-up walks.
 */
export function restoreUndo(
  saved: unknown,
  at: { rewrites: Rewrites; compacted: number; head: number },
  tail: readonly StoredEvent[],
  clientId: string,
  markers: MarkerLog,
): UndoIndex | undefined {
  if (typeof saved !== 'object' || saved === null) return undefined;
  const { clientId: whose, epoch, base, head, index } = saved as Partial<SavedUndo>;
  // A store opened with another clientId (createStore's option) kept another client's.
  if (whose !== clientId || typeof epoch !== 'number' || base !== at.compacted || typeof head !== 'number' || head > at.head)
    return undefined;
  if (rewrittenFrom(at.rewrites, epoch) <= head) return undefined;
  const undo = UndoIndex.fromSaved(index);
  if (!undo || head === at.head) return undo;
  const after = tail.filter((e) => e.position > head);
  const before = tail.find((e) => e.position === head);
  // Every event after it, and none of them in a commit that started at or before it.
  if (after.length !== at.head - head || after[0]!.position !== head + 1 || !before || before.commit === after[0]!.commit) return undefined;
  return undo.withEvents(after, clientId, markers);
}

/** The walk's undo target and where it starts (its newest event was found; a commit may hold more). */
async function located(db: LogDb, view: UndoState['view'], walk: HistoryWalk): Promise<LiveCommit | undefined> {
  const commit = walk.undoTarget;
  if (commit === undefined) return undefined;
  let position = view.markers.firstOf(commit);
  if (position === undefined && walk.undoAt !== undefined && walk.undoAt >= view.own.from) {
    // In the own events, which hold whole commits (Draft invariant 5).
    position = view.own.events.find((e) => e.commit === commit)?.position;
  }
  position ??= (await readCommit(db, commit))[0]?.position ?? walk.undoAt ?? 0;
  return { position, commit };
}

/**
 * Walks `clientId`'s history newest first from position `start` down: the own events in memory
 * first (Draft invariant 5), then the log before it. `undoOnly`: the redo stack is known;
 * stop at the undo target. Also answers the own events extended with the own events of the
 * records it read, so the next walk need not read them again.
 */
async function readHistory(
  db: LogDb,
  clientId: string,
  view: { head: number; markers: MarkerLog; own?: OwnEvents },
  start: number,
  undoOnly: boolean,
): Promise<{ walk: HistoryWalk; own: OwnEvents }> {
  const walk = new HistoryWalk((commit) => view.markers.isUndone(commit) && view.markers.firstOf(commit) !== undefined, undoOnly);
  const own = view.own ?? { from: view.head + 1, events: [] };
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
  const split =
    first && (await db.records.where('ck').equals(first.commit).primaryKeys()).some((k) => k < lowest) ? first.commit : undefined;
  const kept = split === undefined ? older : older.filter((e) => e.commit !== split);
  const from = split === undefined ? lowest : Math.max(...older.filter((e) => e.commit === split).map((e) => e.position)) + 1;
  return { walk, own: prependOwn(own, from, kept) };
}
