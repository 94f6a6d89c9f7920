// The layers, enforced by `npm run lint` (depcruise functions shared scripts test).
// Paths are relative to the repository root; type-only imports count (tsPreCompilationDeps),
// since `import type` from a layer is as much a dependency on it as a value import.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'core-no-adapters',
      comment: 'The core (domain, use cases, ports) owns its ports; adapters implement them, never the other way round.',
      severity: 'error',
      from: { path: '^shared/core/' },
      to: { path: '^shared/adapters/' },
    },
    {
      name: 'core-no-outer-layers',
      comment: 'The core knows nothing of the Functions handlers, the composition root or the dev tooling.',
      severity: 'error',
      from: { path: '^shared/core/' },
      to: { path: '^(functions|scripts)/' },
    },
    {
      name: 'core-no-azure',
      comment: 'No Azure SDK, @azure/functions(-core) or durable-functions in the core: those belong to adapters and functions/.',
      severity: 'error',
      from: { path: '^shared/core/' },
      to: { path: ['(^|/)node_modules/(@azure/|durable-functions/)', '^@azure/', '^durable-functions$'] },
    },
    {
      name: 'adapters-independent',
      comment: 'An adapter (cosmos, queue, memory, ...) does not import another; what they share lives in the core.',
      severity: 'error',
      from: { path: '^shared/adapters/([^/]+)/' },
      to: { path: '^shared/adapters/', pathNot: '^shared/adapters/$1/' },
    },
    {
      name: 'functions-adapters-via-composition-root',
      comment: 'Handlers get adapters wired into use cases from functions/composition-root.ts; only that file imports adapters.',
      severity: 'error',
      from: { path: '^functions/', pathNot: '^functions/composition-root\\.ts$' },
      to: { path: '^shared/adapters/' },
    },
    {
      name: 'shared-not-functions',
      comment: 'shared/ is beneath functions/: the core and the adapters never import the Functions layer.',
      severity: 'error',
      from: { path: '^shared/' },
      to: { path: '^functions/' },
    },
    {
      name: 'app-not-tooling-or-tests',
      comment: 'What ships (shared/, functions/) never imports the dev tooling (scripts/) or the tests (test/).',
      severity: 'error',
      from: { path: '^(shared|functions)/' },
      to: { path: '^(scripts|test)/' },
    },
    {
      name: 'app-production-dependencies-only',
      comment:
        'The deployment package holds production dependencies only (azure.yaml prunes the dev ones): a runtime import of a devDependency from shared/ or functions/ would fail in Azure.',
      severity: 'error',
      from: { path: '^(shared|functions)/' },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'no-circular',
      comment: 'No import cycles, type-only ones included.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: ['node_modules'] },
    exclude: { path: ['^dist/', '^test/local-host/fixtures/'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.test.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
