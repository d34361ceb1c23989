/** The client side of sync, loaded by the engine only when a store has `sync` options. */
export { HttpTransport } from './http.ts';
export { Sealer } from './seal.ts';
export { Syncer } from './syncer.ts';
