// Jest runs the TypeScript sources as native ES modules (NestJS 12 is ESM-only), so the
// test script starts Node with --experimental-vm-modules. ts-jest only transpiles here;
// `npm run typecheck` (tsc --noEmit) is the type gate, which keeps the suite fast on 2 cores.
/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  // .ts first: a stray compiled .js beside a source file must never shadow it.
  moduleFileExtensions: ['ts', 'js', 'mjs', 'cjs', 'json'],
  testMatch: ['<rootDir>/{apps,libs,test}/**/*.{spec,int-spec,e2e-spec}.ts'],
  moduleNameMapper: {
    '^@spool/(.*)$': '<rootDir>/libs/$1/src/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: '<rootDir>/tsconfig.json' }],
  },
  // A bound, not a measurement: e2e tests start broker processes, and with several engineers' tests and
  // the merge train on 2 cores (load 20+) a 30 s bound failed healthy tests. A hung test costs 2 minutes.
  testTimeout: 120000,
  // Most suites wait on sockets, child processes and disks rather than the CPU: with Jest's default
  // (cores - 1 = one worker on 2 cores) the suite ran 2.6x longer than with 3 workers here.
  maxWorkers: 3,
};
