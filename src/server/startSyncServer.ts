/** startSyncServer(): createSyncApp() served on Node's http (through @hono/node-server). */
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { createSyncApp, DEFAULT_DB_PATH, type SyncAppOptions } from './app.ts';
import { sqliteStorage } from './sqliteStorage.ts';
import type { SyncStorage } from './storage.ts';

export { DEFAULT_DB_PATH };

export interface StartSyncServerOptions extends Omit<SyncAppOptions, 'storage'> {
  /** Default: sqliteStorage({ path: './data/eventloom.db' }), closed with the server. */
  storage?: SyncStorage;
  port?: number;
  host?: string;
  /** Where to say that the server is open (no auth); default console.warn. */
  warn?: (message: string) => void;
}

export interface RunningSyncServer {
  url: string;
  close(): Promise<void>;
}

export async function startSyncServer(options: StartSyncServerOptions = {}): Promise<RunningSyncServer> {
  const ownStorage = options.storage === undefined;
  const storage: SyncStorage = options.storage ?? sqliteStorage({ path: DEFAULT_DB_PATH });
  const host = options.host ?? '127.0.0.1';
  // The name it listens on is one its clients use (a wildcard address names no host).
  const listened = host === '0.0.0.0' || host === '::' ? [] : [host.replace(/^\[(.*)\]$/, '$1')];
  const app = createSyncApp({ ...options, storage, hosts: [...(options.hosts ?? []), ...listened] });
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: options.port ?? 8787, hostname: host }, () => resolve(s));
    s.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  if (!options.auth) {
    (options.warn ?? console.warn)(
      `\n  ⚠ Eventloom sync server at ${url} is OPEN: no auth configured, anyone who can reach it can read and write every log.\n` +
        `    It answers only loopback hosts and origins. Pass auth: { tokens } (CLI: --token <token>:<logs|*>:<read|write>) before exposing it.\n`,
    );
  }
  let closing: Promise<void> | undefined;
  return {
    url,
    close: () =>
      (closing ??= (async () => {
        app.close();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
        });
        if (ownStorage) await storage.close();
      })()),
  };
}
