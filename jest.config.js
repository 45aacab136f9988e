// jest in ESM mode (run through `node --experimental-vm-modules`): @noble/curves 2 and libp2p are
// ESM-only. ts-jest transpiles each file on its own (tsconfig isolatedModules); `npm run typecheck` does the
// whole-program type check.
//
// jest must never outlive its tests (a CI run that hangs is a run that never lands): every process a
// test starts is registered (test/children.ts) and stopped after its file (test/setup-after-env.ts);
// the global teardown kills and reports anything still carrying this run's marker; forceExit ends
// jest even if a library leaves a handle open (jest then prints which file to look at).
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }],
  },
  globalSetup: '<rootDir>/test/global-setup.mjs',
  globalTeardown: '<rootDir>/test/global-teardown.mjs',
  setupFilesAfterEnv: ['<rootDir>/test/setup-after-env.ts'],
  forceExit: true,
  testTimeout: 30_000,
};
