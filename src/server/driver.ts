/**
 * The database drivers are optional peer dependencies (README, "The reference server"): a browser app
 * that installs eventloom installs neither. Each storage loads its driver when it is made,
 * and says which package to install when it is missing.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** `name`, as `require` gives it; an Error naming the package if it is not installed. */
export function loadDriver<T>(name: string, by: string, load: (name: string) => unknown = require): T {
  try {
    return load(name) as T;
  } catch (error) {
    const e = error as { code?: string; message?: string } | null;
    if (e?.code === 'MODULE_NOT_FOUND' && e.message?.includes(`'${name}'`)) {
      throw new Error(`${by} needs the package "${name}", an optional peer dependency of eventloom: npm install ${name}`, { cause: error });
    }
    throw error;
  }
}
