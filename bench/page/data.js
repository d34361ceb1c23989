// Deterministic benchmark events, shared by the page, the workers and the Node cases.
//
// A full event (what is stored) has the toolkit's shape: 36-character id, commit and
// clientId (like uuidv7()), a payload { id, title, n }, one of 100 streams and 4 types,
// a new commit every 10 events: ~250 bytes of JSON, the size the toolkit's own events
// have. The toolkit's append() gets only { type, payload, stream } (inputsOf) and makes
// id/commit/clientId/time itself, so both sides store events of the same size.
export const STREAMS = 100;
export const TYPES = ['added', 'renamed', 'done', 'removed'];
const T0 = 1_750_000_000_000;

/** mulberry32 */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const HEX = '0123456789abcdef';
function hex(rand, n) {
  let s = '';
  for (let i = 0; i < n; i++) s += HEX[(rand() * 16) | 0];
  return s;
}
export function uuidLike(rand) {
  return `${hex(rand, 8)}-${hex(rand, 4)}-7${hex(rand, 3)}-${hex(rand, 4)}-${hex(rand, 12)}`;
}

/** One event at log position `position` (1-based); `streams` distinct streams. */
function eventAt(rand, position, commit, clientId, streams) {
  const k = (rand() * streams) | 0;
  return {
    id: uuidLike(rand),
    type: TYPES[(rand() * TYPES.length) | 0],
    payload: { id: `t${k}`, title: `Task ${position}`, n: position },
    stream: `todo-${k}`,
    clientId,
    commit,
    time: T0 + position * 37,
    position,
  };
}

/** `count` full events at positions from+1.., deterministic per seed. */
export function makeEvents(count, seed = 1, { from = 0, streams = STREAMS } = {}) {
  const rand = rng(seed);
  const clientId = uuidLike(rand);
  const out = new Array(count);
  let commit = '';
  for (let i = 0; i < count; i++) {
    if (i % 10 === 0) commit = uuidLike(rand);
    out[i] = eventAt(rand, from + i + 1, commit, clientId, streams);
  }
  return out;
}

/** Pages of full events, generated lazily (1M events need not all be in memory). */
export function* eventPages(count, pageSize, seed = 1, streams = STREAMS) {
  const rand = rng(seed);
  const clientId = uuidLike(rand);
  let commit = '';
  for (let start = 0; start < count; start += pageSize) {
    const n = Math.min(pageSize, count - start);
    const page = new Array(n);
    for (let i = 0; i < n; i++) {
      if ((start + i) % 10 === 0) commit = uuidLike(rand);
      page[i] = eventAt(rand, start + i + 1, commit, clientId, streams);
    }
    yield page;
  }
}

/** What append() receives for the same events. */
export function inputsOf(events) {
  return events.map((e) => ({ type: e.type, payload: e.payload, stream: e.stream }));
}

/** The wire form (for pushes to the sync server): no position. */
export function wireOf(events) {
  return events.map(({ position, ...e }) => e);
}

/**
 * The encryption cases' key (issue 18): 32 fixed bytes, the same wherever they are made, so
 * the page's replicas (`sync.encryption`) open what run.mjs sealed into the server's logs.
 */
const KEY_BYTES = Uint8Array.from({ length: 32 }, (_, i) => (i * 37 + 11) & 0xff);

/** The key as an app holds one: a non-extractable AES-GCM CryptoKey (what deriveKey() gives). */
export function encryptionKey() {
  return crypto.subtle.importKey('raw', KEY_BYTES, 'AES-GCM', false, ['encrypt', 'decrypt']);
}
