// globalSetup of the browser project: a real sync server (in-memory storage) on 127.0.0.1
// that the tests in Chromium reach with fetch; its URL reaches them through inject().
import type { TestProject } from 'vitest/node';
import { memoryStorage, startSyncServer } from '../../src/server/index.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    syncUrl: string;
    /** A server that takes only the token "fresh" (token renewal tests). */
    syncAuthUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await startSyncServer({ port: 0, storage: memoryStorage(), warn: () => undefined });
  const auth = await startSyncServer({ port: 0, storage: memoryStorage(), auth: { tokens: { fresh: { logs: '*', access: 'write' } } } });
  project.provide('syncUrl', server.url);
  project.provide('syncAuthUrl', auth.url);
  return async () => {
    await server.close();
    await auth.close();
  };
}
