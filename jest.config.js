const { availableParallelism } = require('node:os');

// ESM-only dependencies (client-node and parts of its tree) are compiled to CommonJS by
// swc together with our TypeScript: see docs/adr/0001-jest-esm-transform.md.
const esmOnly = [
  '@kubernetes/client-node',
  'jsonpath-plus',
  'jsep',
  '@jsep-plugin',
  'openid-client',
  'oauth4webapi',
  'jose',
  'rfc4648',
  'socks-proxy-agent',
  'agent-base',
  '@peculiar/utils',
];

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.(t|j|mj)s$': [
      '@swc/jest',
      {
        jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
        module: { type: 'commonjs' },
      },
    ],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${esmOnly.join('|')})/)`],
  // Relative imports written with a .js extension (dynamic imports under nodenext) resolve to .ts.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  moduleFileExtensions: ['ts', 'js', 'mjs', 'cjs', 'json'],
  globalSetup: '<rootDir>/test/global-setup.ts',
  testTimeout: 60000,
  // Jest's default (cores - 1) is one worker on a 2-core machine; most suites wait on child
  // processes and servers, so two share 2 cores well (jest: 203 s → 152 s here).
  maxWorkers: Math.max(2, availableParallelism() - 1),
};
