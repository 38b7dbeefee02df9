// One jest run, several tiers (STYLE.md "three test tiers"): unit tests sit beside their
// source; medium tests talk to a real PostgreSQL (or PGlite); e2e tests run real processes
// and sockets; slow tests train real models; fuzz tests run seeded, coverage-guided mutations
// of every parser of untrusted input (`npm run fuzz` is the long run). `npm test` runs every
// tier that exists.
const path = require('node:path');
const fs = require('node:fs');

const transform = {
  '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.jest.json' }],
};
const moduleNameMapper = {};
for (const group of ['libs', 'apps']) {
  for (const dir of fs.readdirSync(path.join(__dirname, group))) {
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, group, dir, 'package.json'), 'utf8'));
    moduleNameMapper[`^${pkg.name}$`] = `<rootDir>/${group}/${dir}/src/index.ts`;
  }
}
const common = { rootDir: __dirname, testEnvironment: 'node', transform, moduleNameMapper };

const tier = (displayName, testMatch, extra = {}) => ({ ...common, displayName, testMatch, ...extra });
// Tiers whose tests call real HTTP servers: one connection per fetch (see the setup file's comment).
const http = { setupFiles: ['<rootDir>/tests/support/one-connection-per-request.ts'] };

module.exports = {
  testTimeout: 30_000,
  projects: [
    tier('unit', ['<rootDir>/libs/*/src/**/*.spec.ts', '<rootDir>/apps/*/src/**/*.spec.ts']),
    tier('medium', ['<rootDir>/tests/medium/**/*.spec.ts']),
    tier('e2e', ['<rootDir>/tests/e2e/**/*.spec.ts'], http),
    tier('adversarial', ['<rootDir>/tests/adversarial/**/*.spec.ts'], http),
    tier('slow', ['<rootDir>/tests/slow/**/*.spec.ts']),
    tier('browser', ['<rootDir>/tests/browser/**/*.spec.ts'], http),
    tier('fuzz', ['<rootDir>/tests/fuzz/**/*.spec.ts']),
  ],
};
