// ESLint 9 flat config: typescript-eslint's type-aware recommended rules over the app, the scripts
// and the tests (typed through tsconfig.test.json, which includes all four folders), plain
// recommended rules over the few JavaScript files. Formatting is Prettier's (`prettier --check .`),
// and the layers are dependency-cruiser's (.dependency-cruiser.cjs): see `npm run lint`.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: ['**/dist/**', '**/node_modules/**', 'coverage/**', 'infra/**', 'test-results/**', 'bench-results/**'],
  },
  {
    linterOptions: { reportUnusedDisableDirectives: 'error' },
  },
  js.configs.recommended,

  // TypeScript: type-aware.
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: {
        // The local host package (scripts/local-host) has a tsconfig of its own.
        project: ['./tsconfig.test.json', './scripts/local-host/tsconfig.test.json'],
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // Promises: an unhandled rejection or a promise passed where a callback's result is ignored
      // loses errors silently. Both are in recommendedTypeChecked; stated here so they stay on.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      // Exceptions to recommendedTypeChecked, deliberately:
      // - require-await: `async` without `await` is how a function implements a Promise-returning
      //   port, handler or stand-in (the in-memory durable store, withProblems handlers) so that a
      //   throw becomes a rejection; dropping `async` to satisfy the rule would change that.
      '@typescript-eslint/require-await': 'off',
      // - no-base-to-string: every finding was String(x) on a value typed `unknown` from JSON or a
      //   Record<string, unknown> (narrowed to `{}` by `?? ''`), where String() is the intended
      //   conversion. Templates and `+` stay guarded by restrict-template-expressions and
      //   restrict-plus-operands.
      '@typescript-eslint/no-base-to-string': 'off',
      // `_`-prefixed names are deliberately unused (destructuring a field away, a required parameter).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
    },
  },

  // Tests: the same type-aware rules, relaxed where test code legitimately differs.
  {
    files: ['test/**/*.ts', 'scripts/local-host/test/**/*.ts'],
    rules: {
      // Responses are parsed JSON (`any`) asserted field by field with expect(): typing every
      // payload in every test would add casts, not safety. (An explicit `any` still needs a
      // disable comment saying why, as in test/ops/http.ts.)
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      // expect(stub.method).toHaveBeenCalled() passes methods unbound on purpose.
      '@typescript-eslint/unbound-method': 'off',
      // jest.isolateModules() needs a synchronous require() to load the app in a fresh registry.
      '@typescript-eslint/no-require-imports': 'off',
      // Tests assert wire values as they appear on the wire (durable history event numbers, Cosmos
      // resource type strings), not through the enums of the code under test.
      '@typescript-eslint/no-unsafe-enum-comparison': 'off',
    },
  },

  // Tests over HTTP use apiFetch, which checks every answer under /api/ against the OpenAPI document.
  {
    files: ['test/**/*.ts'],
    ignores: ['test/support/openapi-conformance.ts'],
    rules: {
      'no-restricted-globals': [
        'error',
        { name: 'fetch', message: 'Use apiFetch (test/support/openapi-conformance.ts): it checks each /api/ answer against /api/openapi.json.' },
      ],
    },
  },

  // JavaScript: the ops page runs in the browser; the reporter, jest's config and the local host's
  // fixture app are CommonJS on Node. No type information (they are not in a tsconfig).
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    extends: [tseslint.configs.disableTypeChecked],
  },
  {
    files: ['functions/ops-page/**/*.js'],
    languageOptions: { sourceType: 'script', globals: globals.browser },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    ignores: ['functions/ops-page/**'],
    languageOptions: { sourceType: 'commonjs', globals: globals.node },
  },
  {
    files: ['**/*.mjs'],
    languageOptions: { sourceType: 'module', globals: globals.node },
  },
);
