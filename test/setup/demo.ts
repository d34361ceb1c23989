// globalSetup of the e2e project: builds the demo (index.html + demo/, with the repo's
// vite.config.ts) once per run into a temp dir; the tests reach it through inject('demoDir').
import { rm } from 'node:fs/promises';
import type { TestProject } from 'vitest/node';
import { buildDemo } from '../e2e/harness.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    demoDir: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = Date.now();
  const outDir = await buildDemo();
  console.log(`[e2e] demo built in ${Date.now() - started} ms → ${outDir}`);
  project.provide('demoDir', outDir);
  return () => rm(outDir, { recursive: true, force: true });
}
