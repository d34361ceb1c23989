// dependency-cruiser parses TypeScript through the TypeScript compiler API, which the project's
// TypeScript 7 (a native binary) no longer has. TypeScript 6 reads the same syntax and reports
// `import type` as such; it is already installed in scripts/mutation/typescript (for Stryker's
// checker, see scripts/mutation/typescript-checker.mjs). installTypeScript6() makes `typescript`,
// when dependency-cruiser's own files ask for it, resolve to that TypeScript 6: through
// CommonJS `require` (its version check) and through `import` (the parser), the latter with
// the module hook `resolve` below. Every other import resolves as usual.
import Module, { createRequire, register } from 'node:module';
import { pathToFileURL } from 'node:url';

const CRUISER = /[\\/]node_modules[\\/]dependency-cruiser[\\/]/;
// Resolved from scripts/mutation/typescript, whose node_modules holds TypeScript 6.
const fromTypeScript6 = createRequire(new URL('./mutation/typescript/package.json', import.meta.url));

/** The file of TypeScript 6 that `specifier` ('typescript', 'typescript/package.json') names, if it names one. */
function typescript6(specifier) {
  return specifier === 'typescript' || specifier.startsWith('typescript/') ? fromTypeScript6.resolve(specifier) : undefined;
}

/** Module hook (registered by installTypeScript6): `import('typescript')` from dependency-cruiser. */
export async function resolve(specifier, context, nextResolve) {
  const path = CRUISER.test(context.parentURL ?? '') ? typescript6(specifier) : undefined;
  return nextResolve(path === undefined ? specifier : pathToFileURL(path).href, context);
}

export function installTypeScript6() {
  register(import.meta.url);
  const resolveFilename = Module._resolveFilename;
  Module._resolveFilename = function (request, parent, ...rest) {
    const path = CRUISER.test(parent?.filename ?? '') ? typescript6(request) : undefined;
    return resolveFilename.call(this, path ?? request, parent, ...rest);
  };
}
