/**
 * docs/api.md lists every export of every entry point: an export added without a line there
 * fails here. The names are read from the entry points' explicit export lists.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const read = (path: string) => readFileSync(`${root}${path}`, 'utf8');
const pkg = JSON.parse(read('package.json')) as { exports: Record<string, { 'eventloom-source': string }> };
const reference = read('docs/api.md');

/** The names a module exports: `export { a, type B } from`, `export type { … }`, and declarations. */
function exportedNames(source: string): string[] {
  const names = new Set<string>();
  for (const m of source.matchAll(/export\s+(?:type\s+)?\{([^}]*)\}/g)) {
    for (const part of m[1]!.split(',')) {
      const name = part.trim().replace(/^type\s+/, '');
      if (name)
        names.add(
          name
            .split(/\s+as\s+/)
            .at(-1)!
            .trim(),
        );
    }
  }
  for (const m of source.matchAll(/export\s+(?:declare\s+)?(?:async\s+)?(?:function|const|class|interface|type|enum)\s+(\w+)/g))
    names.add(m[1]!);
  return [...names];
}

/** The section of docs/api.md for an entry point: from its heading to the next. */
function section(entry: string): string {
  const start = reference.indexOf(`## \`${entry}\``);
  if (start < 0) return '';
  const next = reference.indexOf('\n## ', start + 1);
  return reference.slice(start, next < 0 ? undefined : next);
}

describe('docs/api.md', () => {
  const entries = Object.entries(pkg.exports).map(
    ([path, conditions]) => [`eventloom${path.slice(1)}`, conditions['eventloom-source']] as const,
  );

  it('has a section for every entry point of package.json', () => {
    expect(entries.length).toBeGreaterThanOrEqual(6);
    for (const [entry] of entries) expect(section(entry), entry).not.toBe('');
  });

  it.each(entries)('lists every export of %s in its section', (entry, file) => {
    const names = exportedNames(read(file.replace(/^\.\//, '')));
    expect(names.length).toBeGreaterThan(0);
    const text = section(entry);
    const missing = names.filter((name) => !new RegExp(`\`[^\`]*\\b${name}\\b[^\`]*\``).test(text));
    expect(missing, `exported by ${entry} but not in docs/api.md`).toEqual([]);
  });
});
