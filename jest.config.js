// Two projects: fast unit tests inside each package, and integration tests that start real peers.
// TypeScript is transformed by SWC (type checking is `tsc -b`, run separately by `npm test`).
const shared = {
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } } }] },
  moduleNameMapper: { '^@tributary/([a-z-]+)$': '<rootDir>/packages/$1/src/index.ts' },
  testEnvironment: 'node',
};

module.exports = {
  projects: [
    { ...shared, displayName: 'unit', testMatch: ['<rootDir>/packages/*/test/**/*.test.ts'] },
    { ...shared, displayName: 'integration', testMatch: ['<rootDir>/integration/**/*.test.ts'] },
  ],
};
