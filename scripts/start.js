#!/usr/bin/env node
// `npm start` until the demo federation exists: the metrics CLI on the example predictions.
// Extra arguments pass through, e.g. `npm start -- --json`.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const bin = path.join(root, 'libs/metrics/bin/fedaln-metrics.js');
if (!fs.existsSync(path.join(root, 'libs/metrics/dist/cli.js'))) {
  console.error(
    'libs/metrics is not built: run `npm run build` first (npm start needs libs/metrics/dist/cli.js)',
  );
  process.exit(1);
}
const run = spawnSync(
  process.execPath,
  [bin, '--input', 'examples/predictions.csv', ...process.argv.slice(2)],
  {
    cwd: root,
    stdio: 'inherit',
  },
);
process.exit(run.status ?? 1);
