#!/usr/bin/env node
// `npm start`: the demo federation (scripts/demo/). `npm start -- --help` lists the flags.
'use strict';
const { UsageError } = require('@fedaln/cli-flags');
const { parseDemoFlags, USAGE } = require('./demo/flags');
const { ChildFailed, stopAll } = require('./demo/children');
const { runDemo, printSummary, stopChildrenOnSignals, wasInterrupted } = require('./demo/run-demo');

async function main() {
  let o;
  try {
    o = parseDemoFlags(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`npm start: ${err.message}\n\n${USAGE}\n`);
    process.exit(2);
  }
  if (o === null) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  stopChildrenOnSignals();
  try {
    const result = await runDemo(o);
    printSummary(result, o);
    if (o.json) process.stdout.write(`${JSON.stringify(result)}\n`);
  } catch (err) {
    if (wasInterrupted()) return; // the signal handler stops the children and exits
    process.stderr.write(`\nnpm start failed: ${err.message}\n`);
    if (!(err instanceof ChildFailed) && err.stack) process.stderr.write(`${err.stack}\n`);
    await stopAll(3000);
    process.exit(1);
  }
}

void main();
