#!/usr/bin/env node
// `npm run bench -- NAME [--json] [args...]`: runs bench/NAME.bench.ts (TypeScript through tsx)
// against the built packages. Each benchmark measures its peer in the same run and prints ratios;
// with --json every result is one JSON object on its own line whose `name` is NAME.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const [name, ...rest] = process.argv.slice(2);
const available = fs
  .readdirSync(__dirname)
  .filter((f) => f.endsWith('.bench.ts'))
  .map((f) => f.replace(/\.bench\.ts$/, ''));
if (!name || !available.includes(name)) {
  console.error(
    `usage: npm run bench -- NAME [--json]\n` +
      `  ${name ? `unknown benchmark "${name}"; ` : ''}available: ${available.join(', ') || '(none yet)'}`,
  );
  process.exit(2);
}
const root = path.join(__dirname, '..');
const build = spawnSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);
const run = spawnSync(
  process.execPath,
  ['--expose-gc', '--import', 'tsx', path.join(__dirname, `${name}.bench.ts`), ...rest],
  { cwd: root, stdio: 'inherit' },
);
process.exit(run.status ?? 1);
