/**
 * The server's command line:
 *   npm run server -- [--port 8787] [--host 127.0.0.1] [--db ./data/eventloom.db]
 *                     [--postgres postgres://…] [--token <token>:<logs|*>:<read|write>]…
 * `<logs>` is `*` or a comma-separated list of logIds. --token may repeat.
 */
import { parseArgs } from 'node:util';
import type { AuthOptions } from './auth.ts';
import { DEFAULT_DB_PATH, startSyncServer } from './startSyncServer.ts';
import { postgresStorage } from './postgresStorage.ts';
import { sqliteStorage } from './sqliteStorage.ts';

export function parseToken(spec: string): [string, AuthOptions['tokens'][string]] {
  const match = /^([^:]+):([^:]+):(read|write)$/.exec(spec);
  if (!match) throw new Error(`--token ${spec}: expected <token>:<logs|*>:<read|write>`);
  const logs = match[2] === '*' ? '*' : match[2]!.split(',').filter(Boolean);
  return [match[1]!, { logs, access: match[3] as 'read' | 'write' }];
}

export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string', default: process.env.PORT ?? '8787' },
      host: { type: 'string', default: '127.0.0.1' },
      db: { type: 'string', default: DEFAULT_DB_PATH },
      postgres: { type: 'string' },
      token: { type: 'string', multiple: true },
    },
  });
  const storage = values.postgres ? postgresStorage({ connectionString: values.postgres }) : sqliteStorage({ path: values.db });
  const tokens = values.token?.map(parseToken);
  const server = await startSyncServer({
    port: Number(values.port),
    host: values.host,
    storage,
    ...(tokens?.length ? { auth: { tokens: Object.fromEntries(tokens) } } : {}),
  });
  console.log(`Eventloom sync server: ${server.url} (${values.postgres ? 'PostgreSQL' : `SQLite ${values.db}`})`);
  const stop = async () => {
    await server.close();
    await storage.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
