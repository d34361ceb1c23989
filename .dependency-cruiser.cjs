// dependency-cruiser: the layers of src/ and what each may import (STYLE.md items 1 and 16).
// Run by `npm run lint` (scripts/lint-deps.mjs, which also gives dependency-cruiser the
// TypeScript 6 it needs to read the sources). This file is the architecture's summary:
//
//   core      pure logic: events, replay, undo, upcasting, errors. Imports only core (and
//             valibot, uuidv7). No IO: no Dexie, Comlink, Node, DOM or fetch (the DOM and fetch
//             are globals: biome.jsonc denies them in src/core).
//   api       the public and shared types (store.ts, contract.ts).
//   protocol  the wire protocol (wire.ts), shared by the client's sync and the server.
//   storage   the Dexie schema and queries.
//   sync      the client's sync: HTTP transport, push/pull loop. Not the worker or storage.
//   worker    the engine and serveStore.
//   client    the main thread. The worker only from client/local.ts (in-process mode), which
//             is loaded by dynamic import so that worker-mode apps don't ship the engine.
//   react     the React bindings.
//   server    the sync server: never the browser side.
//   devtools  (to come) a framework-free devtools core.
//
// Every import counts, `import type` included: a cycle or a layer break made of types is
// still a design cycle or break, and types are how internals leak.

/** What each folder of src/ may import from src/ (itself always). */
const LAYERS = {
  core: [],
  api: ['core'],
  protocol: ['core'],
  storage: ['core', 'api', 'protocol'],
  sync: ['core', 'api', 'protocol'],
  worker: ['core', 'api', 'protocol', 'storage', 'sync'],
  client: ['core', 'api'],
  react: ['core', 'api', 'client'],
  server: ['core', 'protocol'],
  devtools: ['core', 'api', 'client'],
};

/** Files that may import more than their folder (anchored at src/). */
const EXCEPTIONS = {
  // In-process mode runs the engine on the main thread; loaded lazily (client-local-loaded-lazily).
  'client/local.ts': ['worker'],
};

/** src/index.ts, the package's main entry: the main thread's public surface. */
const ROOT_INDEX = ['core', 'api', 'client'];

const NPM = ['npm', 'npm-dev', 'npm-optional', 'npm-peer', 'npm-bundled', 'npm-no-pkg', 'npm-unknown'];
const folders = (names) => `^src/(${names.join('|')})/`;
const exact = (file) => `^src/${file.replaceAll('.', '\\.')}$`;

/** One rule per layer (and per exception): what else in src/ it may import. */
function layerRules([layer, allowed]) {
  const own = Object.keys(EXCEPTIONS).filter((file) => file.startsWith(`${layer}/`));
  const rule = (name, what, from, may) => ({
    name: `${name}-imports-only-${may.join('-')}`,
    severity: 'error',
    comment: `${what} may import from src/ only: ${may.join(', ')} (the layers are listed at the top of .dependency-cruiser.cjs).`,
    from,
    to: { path: '^src/', pathNot: folders(may) },
  });
  const folder = own.length > 0 ? { path: `^src/${layer}/`, pathNot: own.map(exact) } : { path: `^src/${layer}/` };
  return [
    rule(layer, `src/${layer}/`, folder, [layer, ...allowed]),
    ...own.map((file) =>
      rule(file.replace(/\.ts$/, '').replace('/', '-'), `src/${file}`, { path: exact(file) }, [layer, ...allowed, ...EXCEPTIONS[file]]),
    ),
  ];
}

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'A cycle in src/ (import type included: a cycle of types is still a design cycle). Break it by moving what both sides need into a module both import, or into a lower layer.',
      from: { path: '^src/' },
      to: { circular: true },
    },
    ...Object.entries(LAYERS).flatMap(layerRules),
    {
      name: 'index-imports-only-core-api-client',
      severity: 'error',
      comment: "src/index.ts is the main thread's public surface: it re-exports from core, api and client only.",
      from: { path: '^src/index\\.ts$' },
      to: { path: '^src/', pathNot: folders(ROOT_INDEX) },
    },
    {
      name: 'layer-unknown',
      severity: 'error',
      comment:
        'Every file of src/ is in one of the layers of .dependency-cruiser.cjs (or is src/index.ts): add a new folder to LAYERS with what it may import.',
      from: { path: '^src/', pathNot: [folders(Object.keys(LAYERS)), '^src/index\\.ts$'] },
      to: {},
    },
    {
      name: 'client-local-loaded-lazily',
      severity: 'error',
      comment:
        'src/client/local.ts pulls in the whole engine: load it with `await import()` so that worker-mode apps do not bundle it (a type-only import is fine).',
      from: { path: '^src/' },
      to: { path: '^src/client/local\\.ts$', dependencyTypesNot: ['dynamic-import', 'type-only'] },
    },
    {
      name: 'core-npm-only-valibot-uuidv7',
      severity: 'error',
      comment: 'src/core/ is pure: of npm packages it may use valibot and uuidv7 only.',
      from: { path: '^src/core/' },
      to: { dependencyTypes: NPM, pathNot: '(^|/)node_modules/(valibot|uuidv7)/' },
    },
    {
      name: 'api-protocol-npm-only-valibot',
      severity: 'error',
      comment: 'src/api/ and src/protocol/ are types and schemas: of npm packages they may use valibot only.',
      from: { path: '^src/(api|protocol)/' },
      to: { dependencyTypes: NPM, pathNot: '(^|/)node_modules/valibot/' },
    },
    {
      name: 'dexie-only-in-storage-worker',
      severity: 'error',
      comment: "Dexie (IndexedDB) is the storage layer's, used by the worker: no other layer touches the database.",
      from: { path: '^src/', pathNot: folders(['storage', 'worker']) },
      to: { path: '(^|/)node_modules/dexie/' },
    },
    {
      name: 'comlink-only-in-worker-client',
      severity: 'error',
      comment: 'Comlink is the worker boundary: only src/worker/ (expose) and src/client/ (wrap) use it.',
      from: { path: '^src/', pathNot: folders(['worker', 'client']) },
      to: { path: '(^|/)node_modules/comlink/' },
    },
    {
      name: 'node-builtins-only-in-server',
      severity: 'error',
      comment: 'Everything but src/server/ runs in the browser: no Node built-in modules there.',
      from: { path: '^src/', pathNot: '^src/server/' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'src-not-to-tests-bench-demo',
      severity: 'error',
      comment: 'The package does not depend on its tests, benchmarks, demo or scripts.',
      from: { path: '^src/' },
      to: { path: '^(test|bench|demo|scripts)/' },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'An import that does not resolve to a file or a package.',
      from: { path: '^src/' },
      to: { couldNotResolve: true },
    },
    {
      name: 'not-to-unlisted-package',
      severity: 'error',
      comment:
        'src/ imports a package that package.json does not list (it would be missing for users): add it to dependencies or peerDependencies.',
      from: { path: '^src/' },
      // (dependency-cruiser also says npm-no-pkg for a package named in peerDependenciesMeta.)
      to: { dependencyTypes: ['npm-no-pkg', 'npm-unknown'], dependencyTypesNot: ['npm', 'npm-dev', 'npm-peer', 'npm-optional'] },
    },
    {
      name: 'not-to-dev-dep',
      severity: 'error',
      comment: 'src/ imports a devDependency, which users do not get: make it a dependency or an (optional) peer.',
      from: { path: '^src/' },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['npm-peer', 'type-only'] },
    },
  ],
  options: {
    // `import type` (and `export type`) are dependencies too.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: '^node_modules' },
    // The package's own condition first: the repository reads src/, not dist/ (package.json "exports").
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['eventloom-source', 'import', 'require', 'node', 'default'],
      extensions: ['.ts', '.tsx', '.js', '.mjs', '.cjs', '.d.ts'],
      mainFields: ['module', 'main', 'types'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
