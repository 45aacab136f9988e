// jest in ESM mode (run through `node --experimental-vm-modules`): @noble/curves 2 and libp2p are
// ESM-only. ts-jest transpiles each file on its own (tsconfig isolatedModules); `npm run typecheck` does the
// whole-program type check.
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }],
  },
  testTimeout: 30_000,
};
