// Flags of `npm start` (scripts/start.js): the demo federation's size, model and engine.
'use strict';
const { choiceFlag, describeInteger, integerFlag, parseFlags, UsageError } = require('@fedaln/cli-flags');

const USAGE = `usage: npm start -- [options]   (or: node scripts/start.js [options])

Runs a whole federation on this machine: phantom data for N non-IID sites, a coordinator on the
embedded database in a fresh data/demo-<timestamp>/ folder, N site clients, the study's rounds, a
release of the final model, and a check of that model on new phantom images from another seed.

  --sites N          sites (default 3)
  --cases M          phantom cases per site (default 324, the seed study's size; 80% train, 20% test)
  --rounds R         federated rounds (default 5)
  --arch NAME        densenet-tiny (default), densenet121, densenet169 or densenet201
  --input-size PX    image size the model sees (default 32)
  --epochs E         local epochs per round (default 2)
  --learning-rate X  Adam learning rate of local training (default 0.005)
  --seed S           phantom-data and training seed (default 1)
  --phantom-version V  phantom generator version, 1 or 2 (default 2, the seed's regime: labels.csv
                     holds a radiologist's read; 1 gives the demo's data as before issue 15)
  --engine NAME      auto (default), tensorflow-gpu, tensorflow, wasm or cpu
  --data-dir DIR     where to put everything (default data/demo-<timestamp>)
  --release-override REASON
                     release the candidate round even when the release policy refuses it, with
                     this written reason (at least 20 characters; the signed manifest records it)
  --json             make the last stdout line one JSON object with the results
  --keep             leave the coordinator running; the JSON then has its url and admin_token
  -h, --help         this text`;

const ARCHS = ['densenet-tiny', 'densenet121', 'densenet169', 'densenet201'];
const ENGINES = ['auto', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];
const INTEGERS = {
  sites: { default: 3, min: 1, max: 20 },
  cases: { default: 324, min: 20, max: 100000 },
  rounds: { default: 5, min: 1, max: 100 },
  'input-size': { default: 32, min: 32, max: 512 },
  epochs: { default: 2, min: 1, max: 100 },
  seed: { default: 1, min: 0, max: 0xfffffff },
  'phantom-version': { default: 2, min: 1, max: 2 },
};

const integer = (name, raw) => integerFlag(`--${name}`, raw, INTEGERS[name]);

function learningRate(raw) {
  if (raw === undefined) return 0.005;
  const x = Number(raw);
  if (raw.trim() === '' || !(x > 0 && x < 1)) {
    throw new UsageError(
      `--learning-rate "${raw}" is not valid; expected a number between 0 and 1, e.g. 0.01`,
    );
  }
  return x;
}

/** The coordinator wants a written override reason of at least 20 characters. */
function releaseOverride(raw) {
  if (raw === undefined) return undefined;
  if (raw.trim().length < 20) {
    throw new UsageError(
      `--release-override "${raw}" is too short; expected a written reason of at least 20 characters`,
    );
  }
  return raw;
}

/**
 * Parses the demo's argv (without node and the script); null for --help. A bad flag throws a
 * UsageError (@fedaln/cli-flags) naming it; start.js prints it with the usage and exits 2.
 * @example parseDemoFlags(['--rounds', '1', '--json']).rounds // 1
 */
function parseDemoFlags(argv) {
  const { values } = parseFlags({
    args: argv,
    options: {
      ...Object.fromEntries(Object.keys(INTEGERS).map((k) => [k, { type: 'string' }])),
      arch: { type: 'string' },
      engine: { type: 'string' },
      'learning-rate': { type: 'string' },
      'data-dir': { type: 'string' },
      'release-override': { type: 'string' },
      json: { type: 'boolean' },
      keep: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    help: 'npm start -- --help',
    expected: {
      ...Object.fromEntries(
        Object.entries(INTEGERS).map(([k, range]) => [k, `expected ${describeInteger(range)}`]),
      ),
      arch: `expected one of ${ARCHS.join(', ')}`,
      engine: `expected one of ${ENGINES.join(', ')}`,
      'learning-rate': 'pass e.g. --learning-rate 0.01',
      'data-dir': 'pass e.g. --data-dir data/my-demo',
      'release-override': 'pass e.g. --release-override "a small demo run, not for use"',
    },
  });
  if (values.help) return null;
  return {
    sites: integer('sites', values.sites),
    cases: integer('cases', values.cases),
    rounds: integer('rounds', values.rounds),
    inputSize: integer('input-size', values['input-size']),
    epochs: integer('epochs', values.epochs),
    seed: integer('seed', values.seed),
    phantomVersion: integer('phantom-version', values['phantom-version']),
    learningRate: learningRate(values['learning-rate']),
    arch: choiceFlag('--arch', values.arch, ARCHS, 'densenet-tiny'),
    engine: choiceFlag('--engine', values.engine, ENGINES, 'auto'),
    dataDir: values['data-dir'],
    releaseOverride: releaseOverride(values['release-override']),
    json: values.json === true,
    keep: values.keep === true,
  };
}

module.exports = { parseDemoFlags, USAGE };
