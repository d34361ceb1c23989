/**
 * "eventloom/server": the reference sync server. Node only (storages use better-sqlite3
 * and pg); createSyncApp() itself is a web-standard fetch handler.
 */
export { createSyncApp, type ServerLogEntry, type SyncApp, type SyncAppOptions } from './app.ts';
export { startSyncServer, type RunningSyncServer, type StartSyncServerOptions } from './startSyncServer.ts';
export { memoryStorage } from './memoryStorage.ts';
export { sqliteStorage } from './sqliteStorage.ts';
export { postgresStorage } from './postgresStorage.ts';
export type { SyncStorage } from './storage.ts';
export type { AuthOptions } from './auth.ts';
