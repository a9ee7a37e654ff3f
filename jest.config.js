/** Jest runs the TypeScript sources directly; `tsc` type-checks them in `pretest`. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.test.json', diagnostics: false }],
  },
  // Integration tests start real peers (DCMTK, Orthanc, python3-hl7); two workers match the CI machine.
  maxWorkers: 2,
  testTimeout: 60000,
  // One temporary directory for the run, removed at its end (test/support/globalSetup.ts).
  globalSetup: '<rootDir>/test/support/globalSetup.ts',
  globalTeardown: '<rootDir>/test/support/globalTeardown.ts',
  reporters: ['default', '<rootDir>/scripts/jest-summary-reporter.js'],
};
