/**
 * "eventloom/server": the reference sync server. createSyncApp() is a web-standard fetch
 * handler: with memoryStorage() or a storage of your own it loads no Node-only module.
 * startSyncServer() serves it on Node; sqliteStorage() and postgresStorage() load their
 * drivers (better-sqlite3, pg: optional peer dependencies) when they are made.
 */
export { createSyncApp, type ServerLogEntry, type SyncApp, type SyncAppOptions } from './app.ts';
export { startSyncServer, type RunningSyncServer, type StartSyncServerOptions } from './startSyncServer.ts';
export { memoryStorage } from './memoryStorage.ts';
export { sqliteStorage } from './sqliteStorage.ts';
export { postgresStorage } from './postgresStorage.ts';
export type { SyncStorage } from './storage.ts';
export type { AuthOptions } from './auth.ts';
