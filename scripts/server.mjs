#!/usr/bin/env node
// `npm run server -- …`: the reference sync server (flags: src/server/cli.ts). Node 20
// cannot run TypeScript itself, so Vite's module runner loads the sources.
import { runnerImport } from 'vite';

const { module } = await runnerImport(new URL('../src/server/cli.ts', import.meta.url).pathname);
await module.main(process.argv.slice(2));
