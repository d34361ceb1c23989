// globalSetup of the engines project: builds the cross-engine test page (test/engines/page)
// and the demo once per run into temp dirs; the tests reach them through inject().
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, defaultClientConditions } from 'vite';
import type { TestProject } from 'vitest/node';
import { buildDemo, ROOT } from '../e2e/harness.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    enginesPageDir: string;
  }
}

/** The page as an app's bundler builds it: production mode, ES module workers, the sources through `eventloom-source`. */
async function buildPage(): Promise<string> {
  const outDir = await mkdtemp(join(tmpdir(), 'eventloom-engines-'));
  const nodeEnv = process.env['NODE_ENV'];
  process.env['NODE_ENV'] = 'production'; // Vitest sets it to 'test'
  try {
    await build({
      configFile: false,
      root: join(ROOT, 'test/engines/page'),
      mode: 'production',
      logLevel: 'warn',
      resolve: { conditions: ['eventloom-source', ...defaultClientConditions] },
      worker: { format: 'es' },
      build: { outDir, emptyOutDir: true, target: 'es2022' },
    });
  } finally {
    if (nodeEnv === undefined) delete process.env['NODE_ENV'];
    else process.env['NODE_ENV'] = nodeEnv;
  }
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
