// globalSetup of the engines project: builds the cross-engine test page (test/engines/page)
// and the demo once per run into temp dirs; the tests reach them through inject().
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { buildDemo, ROOT, viteBuild } from '../e2e/harness.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    enginesPageDir: string;
  }
}

/** The page, built by its own vite.config.ts. */
async function buildPage(): Promise<string> {
  const outDir = await mkdtemp(join(tmpdir(), 'eventloom-engines-'));
  await viteBuild(outDir, { config: join(ROOT, 'test/engines/page/vite.config.ts') });
  return outDir;
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = Date.now();
  const [pageDir, demoDir] = await Promise.all([buildPage(), buildDemo()]);
  console.log(`[engines] test page and demo built in ${Date.now() - started} ms`);
  project.provide('enginesPageDir', pageDir);
  project.provide('demoDir', demoDir);
  return async () => {
    await rm(pageDir, { recursive: true, force: true });
    await rm(demoDir, { recursive: true, force: true });
  };
}
