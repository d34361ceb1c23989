// What one durable write costs on this machine's disk, for the README's fairness notes
// (not a benchmark case): in a dedicated worker, `count` times each
// - OPFS: write one 8 KiB page through a FileSystemSyncAccessHandle, with and without
//   flush() (LiveStore's leader: wa-sqlite's AccessHandlePool VFS calls flush() on xSync,
//   several times per SQLite COMMIT with the default synchronous=FULL, journal_mode=DELETE);
// - IndexedDB: put one ~250-byte record in its own transaction with durability 'relaxed'
//   (what Chromium ≥ 121 does for 'default', Eventloom's setting) and 'strict' (flushed).
// Returns the p50 of each, in ms.
const now = () => performance.now();
const p50 = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

async function opfs(count) {
  const root = await navigator.storage.getDirectory();
  const file = await root.getFileHandle('probe-flush.bin', { create: true });
  const h = await file.createSyncAccessHandle();
  const page = new Uint8Array(8192).fill(7);
  const noFlush = [];
  const flush = [];
  for (let i = 0; i < count; i++) {
    let t0 = now();
    h.write(page, { at: i * 8192 });
    noFlush.push(now() - t0);
    t0 = now();
    h.write(page, { at: (count + i) * 8192 });
    h.flush();
    flush.push(now() - t0);
  }
  h.close();
  await root.removeEntry('probe-flush.bin');
  return { opfsWriteMs: p50(noFlush), opfsWriteFlushMs: p50(flush) };
}

function idbOpen(name) {
  return new Promise((resolve, reject) => {
    const r = indexedDB.open(name, 1);
    r.onupgradeneeded = () => r.result.createObjectStore('e', { keyPath: 'k' });
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}
const put = (db, durability, value) =>
  new Promise((resolve, reject) => {
    const tx = db.transaction('e', 'readwrite', { durability });
    tx.objectStore('e').put(value);
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
  });

async function idb(count) {
  const db = await idbOpen('probe-durability');
  const out = {};
  for (const durability of ['relaxed', 'strict']) {
    const times = [];
    for (let i = 0; i < count; i++) {
      const t0 = now();
      await put(db, durability, { k: `${durability}-${i}`, v: 'x'.repeat(200) });
      times.push(now() - t0);
    }
    out[`idb${durability[0].toUpperCase()}${durability.slice(1)}Ms`] = p50(times);
  }
  db.close();
  indexedDB.deleteDatabase('probe-durability');
  return out;
}

self.onmessage = async ({ data: { count } }) => {
  try {
    self.postMessage({ ...(await opfs(count)), ...(await idb(count)), count });
  } catch (error) {
    self.postMessage({ error: String(error?.stack ?? error) });
  }
};
