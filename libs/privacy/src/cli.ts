/**
 * `fedaln-privacy epsilon|sigma …`: size a differentially private study before it starts. `epsilon`
 * gives the (ε, δ) of T DP-SGD steps at noise multiplier σ and sampling rate q; `sigma` gives the
 * smallest σ that keeps T steps within a target ε. The only file of this package that does I/O.
 * Exit codes: 0 done, 2 bad usage or an unreachable target, 1 a bug.
 */
import { integerFlag, numberFlag, parseFlags, UsageError } from '@fedaln/cli-flags';
import { dpSgdEpsilon } from './dp-sgd-epsilon';
import { MAX_SIGMA, noiseForEpsilon } from './noise-for-epsilon';

const USAGE = `usage: fedaln-privacy epsilon --noise-multiplier σ --sampling-rate q --steps T --delta δ [--json]
       fedaln-privacy sigma --epsilon E --sampling-rate q --steps T --delta δ [--json]

RDP accountant of DP-SGD (sampled Gaussian mechanism with Poisson sampling; Mironov, Talwar & Zhang
2019), converted to (ε, δ) with the tight conversion (Balle et al. 2020), minimised over TF Privacy's
orders 1.25…512.

  epsilon            the ε spent by T steps, and the Rényi order that attains it
  sigma              the smallest noise multiplier whose T steps stay within ε E

  --noise-multiplier σ   noise standard deviation / clipping norm, a number above 0
  --epsilon E            target ε (sigma only), a number above 0
  --sampling-rate q      chance a record is in a step's batch (batch size / records), above 0 and up to 1
  --steps T              noisy steps over the whole study (all rounds, all local steps), an integer ≥ 1
  --delta δ              a number above 0 and below 1, e.g. 1e-5 (below 1 / number of records)
  --json                 print one JSON line instead of text
  --help                 show this help

Exit status: 0 on success, 2 on bad usage or an unreachable target.`;

const HELP = 'fedaln-privacy --help';
const MAX_STEPS = 1e9;

/** q in (0, 1]: q = 1 (every record in every step) is the plain Gaussian mechanism. */
function samplingRate(text: string | undefined): number {
  const expected = 'expected a number above 0 and at most 1';
  if (text === undefined) throw new UsageError(`missing --sampling-rate; ${expected}`);
  const q = numberFlag('--sampling-rate', text, { above: 0 });
  if (q > 1) throw new UsageError(`--sampling-rate "${text}" is not valid; ${expected}`);
  return q;
}

function run(argv: string[]): string {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h') return USAGE;
  if (command !== 'epsilon' && command !== 'sigma')
    throw new UsageError(`unknown command "${command}"; expected epsilon or sigma (see ${HELP})`);
  const { values } = parseFlags({
    args: rest,
    options: {
      'noise-multiplier': { type: 'string' },
      epsilon: { type: 'string' },
      'sampling-rate': { type: 'string' },
      steps: { type: 'string' },
      delta: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    help: HELP,
    expected: {
      'noise-multiplier': 'expected a number above 0, e.g. --noise-multiplier 1.1',
      epsilon: 'expected a number above 0, e.g. --epsilon 8',
      'sampling-rate': 'expected a number above 0 and at most 1, e.g. --sampling-rate 0.01',
      steps: 'expected an integer of at least 1, e.g. --steps 1000',
      delta: 'expected a number above 0 and below 1, e.g. --delta 1e-5',
    },
  });
  if (values.help) return USAGE;
  const q = samplingRate(values['sampling-rate']);
  if (values.steps === undefined)
    throw new UsageError(`missing --steps; expected an integer from 1 to ${MAX_STEPS}`);
  const steps = integerFlag('--steps', values.steps, { min: 1, max: MAX_STEPS, default: 1 });
  const delta = numberFlag('--delta', values.delta, { above: 0, below: 1 });
  const json = values.json === true;
  if (command === 'epsilon') {
    if (values.epsilon !== undefined)
      throw new UsageError(`--epsilon belongs to "sigma"; epsilon takes --noise-multiplier`);
    const sigma = numberFlag('--noise-multiplier', values['noise-multiplier'], { above: 0 });
    const spent = dpSgdEpsilon({ noiseMultiplier: sigma, samplingRate: q, steps }, delta);
    const out = {
      epsilon: spent.epsilon,
      order: spent.order,
      noise_multiplier: sigma,
      sampling_rate: q,
      steps,
      delta,
    };
    return json
      ? JSON.stringify(out)
      : `ε = ${spent.epsilon.toFixed(4)} at δ = ${delta} (RDP order ${spent.order}) for ${steps} steps at σ = ${sigma}, q = ${q}`;
  }
  if (values['noise-multiplier'] !== undefined)
    throw new UsageError(`--noise-multiplier belongs to "epsilon"; sigma takes --epsilon`);
  const target = numberFlag('--epsilon', values.epsilon, { above: 0 });
  const found = noiseForEpsilon(target, { samplingRate: q, steps }, delta);
  if (!found)
    throw new UsageError(
      `--epsilon ${target} is out of reach: even σ = ${MAX_SIGMA} spends more over ${steps} steps at q = ${q}, δ = ${delta}; raise --epsilon or lower --steps or --sampling-rate`,
    );
  const out = {
    noise_multiplier: found.noiseMultiplier,
    epsilon: found.epsilon,
    order: found.order,
    target_epsilon: target,
    sampling_rate: q,
    steps,
    delta,
  };
  return json
    ? JSON.stringify(out)
    : `σ = ${found.noiseMultiplier.toFixed(4)} gives ε = ${found.epsilon.toFixed(4)} ≤ ${target} at δ = ${delta} (RDP order ${found.order}) for ${steps} steps at q = ${q}`;
}

function main(argv: string[]): number {
  try {
    process.stdout.write(`${run(argv)}\n`);
    return 0;
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`fedaln-privacy: ${e.message}\n`);
    return 2;
  }
}

process.exitCode = main(process.argv.slice(2));
