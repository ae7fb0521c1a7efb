// Imports run one way: entries → app → routes → http → services → db | storage | formats | transform
// → config, limits, lib. A module may import its own layer or any layer below it, never one above.
// Routes do not skip the services to reach the database: they present what the services return.
// `npm run lint:deps` (scripts/lint-deps.ts) checks it; .ci/run runs that after lint, and
// test/tooling/import-layers.node.test.ts shows each rule refusing a tree that breaks it.

/** Layers from the top; each entry is a path regex. */
const layers = [
  { name: 'entries', path: '^src/(index|node|bun)\\.ts$|^src/runtime/' },
  { name: 'app', path: '^src/app\\.ts$' },
  { name: 'routes', path: '^src/routes/' },
  { name: 'http', path: '^src/http/' },
  { name: 'services', path: '^src/(services|auth)/' },
  { name: 'data', path: '^src/(db|storage|formats|transform)/' },
  { name: 'base', path: '^src/(config|limits|zod-locales)\\.ts$|^src/lib/' },
];

const upward = layers.slice(1).map((layer, index) => ({
  name: `${layer.name}-imports-upward`,
  comment: `${layer.name} may import only its own layer and the layers below it`,
  severity: 'error',
  from: { path: layer.path },
  to: { path: layers.slice(0, index + 1).map((above) => above.path) },
}));

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    ...upward,
    {
      name: 'routes-skip-services',
      comment: 'routes reach the database through the services, and present what the services return',
      severity: 'error',
      from: { path: '^src/routes/' },
      to: { path: '^src/db/' },
    },
    {
      name: 'no-circular',
      comment: 'a circle has no bottom layer: split the module both sides need',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-unlayered-src',
      comment: 'every module under src/ belongs to a layer: add it to `layers` in .dependency-cruiser.cjs',
      severity: 'error',
      from: { path: '^src/', pathNot: layers.map((layer) => layer.path) },
      to: {},
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '\\.d\\.ts$' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.mjs', '.cjs', '.json'],
    },
  },
};
