/**
 * Slices: a stream's (or type's) events copied out of the records that hold them among
 * many others, so that a query by stream reads about as many events as it returns.
 *
 * A pulled page holds up to 1000 events of whatever streams the server interleaved, so a
 * stream query on a pulled log would otherwise read every page whole. Slicing runs in the
 * background (the engine calls sliceNext() when idle), never while the app waits for a
 * write: it reads the confirmed records after the point sliced so far (meta `sliced`) in
 * groups of about GROUP_EVENTS events, and for each stream and type of a group that holds
 * fewer than 1/SLICE_SHARE of its events but at least SLICE_MIN_COUNT of them, writes one
 * slice: that name's events of the group, keyed [kind, name, first, last, n]. One row per
 * name per group, not per record: a row costs about as much to write as ~30 events (see
 * docs/storage.md), and a group of several pages makes each row larger and the rows fewer.
 *
 * For a name, the records first..last of a slice are covered: a query reads the slice and
 * skips those records (storage/scan.ts). A name that got no slice in a group (a large
 * share, or a few events) is read from the group's records, at most SLICE_SHARE times what
 * it returns, or a few events per record. Pending records are never sliced (they move when
 * rebased); compaction drops the slices of the groups it cuts into and the slicer redoes
 * the rest (forgetSlicesThrough); binding the log to a server (its records become pending
 * and may move) drops them all (clearSlices).
 */
import { readCompaction } from './compactionMeta.ts';
import type { LogDb, LogRecord, RecordEvent, SliceRecord } from './schema.ts';
import { getOrSet } from '../core/maps.ts';

export const SLICE_SHARE = 8;
export const SLICE_MIN_COUNT = 4;
/** Events per slicing step (one transaction): large groups make fewer rows, small ones shorter steps. */
export const GROUP_EVENTS = 5000;
/** Records read at once by a step. */
const RECORDS_PER_READ = 16;

const KEY = 'sliced';

/** The position through which the log is sliced (at least the compaction point). */
async function readSliced(db: LogDb): Promise<number> {
  const [sliced, compaction] = await Promise.all([db.meta.get(KEY), readCompaction(db)]);
  return Math.max(typeof sliced?.value === 'number' ? sliced.value : 0, compaction.compacted);
}

/**
 * Slices the next group of confirmed records after the point sliced so far, inside the
 * caller's read-write transaction over records, slices and meta: only a whole group (about
 * GROUP_EVENTS events before a pending record or the head), so that slices stay few and
 * large. Says whether it sliced, and the point sliced through after it.
 */
export async function sliceNext(db: LogDb): Promise<{ sliced: boolean; through: number }> {
  const from = await readSliced(db);
  const group: LogRecord[] = [];
  let events = 0;
  let after = from;
  while (events < GROUP_EVENTS) {
    const records = await db.records.where(':id').above(after).limit(RECORDS_PER_READ).toArray();
    let i = 0;
    for (; i < records.length && records[i]!.pending === 0 && events < GROUP_EVENTS; i++) {
      group.push(records[i]!);
      events += records[i]!.events.length;
    }
    if (i < records.length || records.length < RECORDS_PER_READ) break;
    after = records[records.length - 1]!.first;
  }
  if (events < GROUP_EVENTS) return { sliced: false, through: from };
  const slices = slicesOf(group);
  if (slices.length > 0) await db.slices.bulkAdd(slices);
  const through = group[group.length - 1]!.last;
  await db.meta.put({ key: KEY, value: through });
  return { sliced: true, through };
}

/** The slices of a group of consecutive records (SLICE_* above). */
function slicesOf(group: readonly LogRecord[]): SliceRecord[] {
  const first = group[0]!.first;
  const last = group[group.length - 1]!.last;
  const total = last - first + 1;
  const byName = new Map<string, SliceRecord>();
  const add = (kind: SliceRecord['kind'], name: string, e: RecordEvent, position: number) => {
    const key = `${kind}${name}`;
    const slice = getOrSet(byName, key, (): SliceRecord => ({ kind, name, first, last, n: 0, at: [], events: [] }));
    slice.n++;
    slice.at.push(position);
    slice.events.push(e);
  };
  for (const record of group) {
    record.events.forEach((e, i) => {
      add('s', e.stream, e, record.first + i);
      add('t', e.type, e, record.first + i);
    });
  }
  return [...byName.values()].filter((s) => s.n >= SLICE_MIN_COUNT && s.n * SLICE_SHARE < total);
}

/**
 * Compaction dropped positions through `to`: drops the slices of the groups before it. If a
 * group reached past `to`, all slices go and the log after `to` is sliced again (groups
 * after that one could not be kept: a new group from `to` would overlap them).
 */
export async function forgetSlicesThrough(db: LogDb, to: number): Promise<void> {
  const keys = await db.slices.where('first').belowOrEqual(to).primaryKeys();
  if (keys.some(([, , , last]) => last > to)) {
    await db.slices.clear();
    await db.meta.put({ key: KEY, value: to });
  } else if (keys.length > 0) {
    await db.slices.bulkDelete(keys);
  }
}

/** Drops every slice: the log is sliced again from its start. */
export async function clearSlices(db: LogDb): Promise<void> {
  await db.slices.clear();
  await db.meta.delete(KEY);
}
