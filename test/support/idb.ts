/** Test support: raw IndexedDB calls from outside a store (another tab, an app signing out). */

/** indexedDB.deleteDatabase(name): resolves once deleted, with how often the deletion was blocked by open connections. */
export function deleteDatabase(name: string): Promise<{ blocked: number }> {
  return new Promise((resolve, reject) => {
    let blocked = 0;
    const request = indexedDB.deleteDatabase(name);
    request.onblocked = () => blocked++;
    request.onsuccess = () => resolve({ blocked });
    request.onerror = () => reject(request.error);
  });
}

/**
 * Opens `name` with a newer native version than any store's (an app update in another tab),
 * then closes it: resolves once the upgrade went through, with how often it was blocked.
 */
export function upgradeDatabase(name: string, version = 1000): Promise<{ blocked: number }> {
  return new Promise((resolve, reject) => {
    let blocked = 0;
    const request = indexedDB.open(name, version);
    request.onblocked = () => blocked++;
    request.onsuccess = () => {
      request.result.close();
      resolve({ blocked });
    };
    request.onerror = () => reject(request.error);
  });
}

/** The names of the databases of this origin (or of fake-indexeddb). */
export async function databaseNames(): Promise<string[]> {
  return (await indexedDB.databases()).map((d) => d.name ?? '');
}
