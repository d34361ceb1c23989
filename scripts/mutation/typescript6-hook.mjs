// Node module hook (registered by typescript-checker.mjs): `typescript`, imported by Stryker's own
// packages (the checker, and core's tsconfig rewriting for the sandbox), resolves to the
// TypeScript 6 in scripts/mutation/typescript. Every other import resolves as usual: the project,
// its tests and `tsc` keep TypeScript 7.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const typescript6 = pathToFileURL(createRequire(new URL('./typescript/package.json', import.meta.url)).resolve('typescript')).href;

export async function resolve(specifier, context, nextResolve) {
  if (specifier === 'typescript' && context.parentURL?.includes('/node_modules/@stryker-mutator/')) {
    return nextResolve(typescript6, context);
  }
  return nextResolve(specifier, context);
}
