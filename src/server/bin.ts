#!/usr/bin/env node
/**
 * The package's bin (package.json "bin"):
 *   npx eventloom serve [--port 8787] [--host 127.0.0.1] [--db ./data/eventloom.db]
 *                       [--postgres postgres://…] [--token <token>:<logs|*>:<read|write>]…
 * The flags are ./cli.ts's (as `npm run server -- …` in this repository).
 */
import { main } from './cli.ts';

const USAGE = `Usage: eventloom serve [--port 8787] [--host 127.0.0.1] [--db ./data/eventloom.db | --postgres <url>] [--token <token>:<logs|*>:<read|write>]…

  serve   run the Eventloom sync server (SQLite by default: npm install better-sqlite3; --postgres: npm install pg)`;

const [command, ...rest] = process.argv.slice(2);
if (command === 'serve') {
  try {
    await main(rest);
  } catch (error) {
    console.error(`eventloom serve: ${(error as Error).message}`);
    process.exit(1);
  }
} else if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
  console.log(USAGE);
} else {
  console.error(`eventloom: unknown command "${command}"\n\n${USAGE}`);
  process.exit(2);
}
