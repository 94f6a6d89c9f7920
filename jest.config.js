/**
 * One jest run for the app's tests and the local host package's own (scripts/local-host, with its
 * jest.config.js): `npm test` runs both; `npm test` inside scripts/local-host runs the package's.
 * @type {import('jest').Config}
 */
module.exports = {
  // Global: a project's own testTimeout does not apply when it runs as one of several projects.
  testTimeout: 60000,
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
  projects: [
    {
      displayName: 'app',
      testEnvironment: 'node',
      roots: ['<rootDir>/test'],
      testMatch: ['**/*.test.ts'],
      transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.test.json' }] },
      testTimeout: 60000,
      setupFiles: ['<rootDir>/test/support/fast-check-seed.ts'],
    },
    '<rootDir>/scripts/local-host',
  ],
};
