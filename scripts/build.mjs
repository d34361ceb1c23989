// npm run build (and prepack): emits dist/ from src/ with the repo's strict flags
// (tsconfig.build.json): ES modules, .js + .d.ts + source maps, relative imports ending
// in .js. dist/ is made anew, so nothing of an older build is packed.
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
// typescript's package exports hide bin/tsc; it sits beside its package.json.
const tsc = join(dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin', 'tsc');
execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
