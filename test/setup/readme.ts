// globalSetup of the browser project: README's React example, written out as the two files it
// names (store.worker.ts and Todos.tsx) so that test/browser/readme-react.test.ts runs it as
// an app would. Removed again at teardown.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const dir = `${root}test/browser/.readme`;

export default function setup(): () => void {
  const readme = readFileSync(`${root}README.md`, 'utf8');
  const block = /<!-- The block below is run by test\/browser\/readme-react\.test\.ts[\s\S]*?```tsx\n([\s\S]*?)```/.exec(readme)?.[1];
  if (!block) throw new Error('README has no React example marked for test/browser/readme-react.test.ts');
  const files = block.split(/^\/\/ (?=\S+\.tsx?$)/m).filter((part) => part.trim() !== '');
  mkdirSync(dir, { recursive: true });
  for (const file of files) {
    const [name, ...body] = file.split('\n');
    writeFileSync(`${dir}/${name!.trim()}`, body.join('\n'));
  }
  return () => rmSync(dir, { recursive: true, force: true });
}
