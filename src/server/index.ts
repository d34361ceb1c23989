/**
 * "eventloom/server": the reference sync server. createSyncApp() is a web-standard fetch
 * handler: with memoryStorage() or a storage of your own it loads no Node-only module.
 * startSyncServer() serves it on Node; sqliteStorage() and postgresStorage() load their
 * drivers (better-sqlite3, pg: optional peer dependencies) when they are made.
 *
 * A storage of your own implements SyncStorage (its invariants: ./storage.ts) and applies
 * a push with planPush() (the push rule, ./plan.ts), which throws the two errors the app
 * answers 400 and 409; "eventloom/server/conformance" is the suite it must pass.
 */
export { createSyncApp, type ServerLogEntry, type SyncApp, type SyncAppOptions } from './app.ts';
export { startSyncServer, type RunningSyncServer, type StartSyncServerOptions } from './startSyncServer.ts';
export { memoryStorage } from './memoryStorage.ts';
export { sqliteStorage } from './sqliteStorage.ts';
export { postgresStorage } from './postgresStorage.ts';
export type { SyncStorage } from './storage.ts';
export type { ErrorCode, EventsResponse, PositionedEvent, PushResult, WireEvent } from '../protocol/wire.ts';
export type { LiveLimits } from './live.ts';
export { ConflictingPushError, InvalidPushError, markerTargets, planPush, type PushLookups, type PushPlan } from './plan.ts';
export type { AuthOptions } from './auth.ts';
