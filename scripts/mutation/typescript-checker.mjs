// Stryker's "typescript" checker plugin (listed in stryker.config.mjs), run on TypeScript 6.
// The checker drives the TypeScript compiler through its JavaScript API, which TypeScript 7 (the
// project's `typescript`, a native binary) no longer has. TypeScript 6 checks the same language
// with the same tsconfig.json; it is installed in scripts/mutation/typescript (a package of its
// own, so that its `tsc` never takes the place of the project's), and the hook below hands it to
// the checker alone. Stryker loads this file in its own process and in each checker process.
import { register } from 'node:module';

register('./typescript6-hook.mjs', import.meta.url);

const checker = await import('@stryker-mutator/typescript-checker');

export const strykerPlugins = checker.strykerPlugins;
export const strykerValidationSchema = checker.strykerValidationSchema;
export const createTypescriptChecker = checker.createTypescriptChecker;
