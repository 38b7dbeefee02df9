/**
 * `fedaln-metrics --input predictions.csv [--json]`: the clinical metrics of one model (and, with a
 * `score_b` column, its paired comparison with a second model) for a hospital's predictions file.
 * The only file of this package that does I/O. Exit codes: 0 done, 2 bad input or usage, 1 a bug.
 */
import { parseFlags, UsageError } from '@fedaln/cli-flags';
import { readFileSync } from 'node:fs';
import { CsvInputError } from '@fedaln/site-data';
import { parsePredictionsCsv } from './predictions-csv';
import { metricsReport, type MetricsReport } from './report';
import { MetricsInputError } from './validate';

const USAGE = `usage: fedaln-metrics --input predictions.csv [--json]

Clinical metrics of a model's predicted probabilities: AUC with DeLong 95% CI, ROC, Youden point,
Brier score, calibration intercept and slope, decision curve (net benefit at risk thresholds 0.01-0.99).

  --input FILE   CSV with a header naming columns label (0/1, 1 = ALN metastasis) and score
                 (probability in [0, 1]); optional score_b (a second model, paired DeLong test).
                 Other columns are ignored.
  --json         print the report as one JSON object on the last line instead of a table
  --help         show this help

Exit status: 0 on success, 2 on bad input or usage.`;

interface Args {
  input: string;
  json: boolean;
}

function readArgs(argv: string[]): Args | 'help' {
  const { values } = parseFlags({
    args: argv,
    options: {
      input: { type: 'string', short: 'i' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    help: 'fedaln-metrics --help',
    expected: { input: 'pass a file name, e.g. --input predictions.csv' },
  });
  if (values.help) return 'help';
  if (!values.input)
    throw new UsageError('missing --input: give the predictions CSV, e.g. --input predictions.csv');
  return { input: values.input, json: values.json === true };
}

const fixed = (x: number | null, digits = 3): string => (x === null ? 'n/a' : x.toFixed(digits));

/** A few lines a clinician can read; the JSON carries the full curves. */
export function formatReport(r: MetricsReport, source: string): string {
  const lines: [string, string][] = [];
  const row = (k: string, v: string): void => void lines.push([k, v]);
  row('cases', `${r.n} (${r.n_pos} positive, prevalence ${fixed(r.prevalence)})`);
  if (r.auc === null) row('AUC', 'n/a (needs both classes)');
  else {
    const ci = r.auc_ci
      ? `95% CI ${fixed(r.auc_ci[0])}-${fixed(r.auc_ci[1])}, DeLong`
      : 'no CI: needs 2 cases per class';
    row('AUC', `${fixed(r.auc)} (${ci})`);
  }
  if (r.paired) {
    const p =
      r.paired.p === null ? 'n/a' : r.paired.p < 1e-4 ? r.paired.p.toExponential(1) : r.paired.p.toFixed(4);
    row('AUC of score_b', `${fixed(r.paired.auc_b)} (paired DeLong z ${fixed(r.paired.z, 2)}, p ${p})`);
  }
  if (r.youden) {
    const t = r.youden.threshold === null ? 'none' : `score >= ${r.youden.threshold}`;
    const y = r.youden;
    row(
      'Youden point',
      `${t}: sensitivity ${fixed(y.sensitivity)}, specificity ${fixed(y.specificity)}, J ${fixed(y.j)}`,
    );
  }
  row('Brier score', fixed(r.brier, 4));
  const c = r.calibration;
  row('calibration', `intercept ${fixed(c.intercept)} (ideal 0), slope ${fixed(c.slope)} (ideal 1)`);
  if (r.dca) {
    const beats = r.dca.range ? `${r.dca.range[0]}-${r.dca.range[1]}` : 'no threshold';
    const others =
      r.dca.runs.length > 1
        ? ` (all runs: ${r.dca.runs.map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`)).join(', ')})`
        : '';
    row('decision curve', `net benefit beats treat-all and treat-none at ${beats}${others}`);
  }
  const width = Math.max(...lines.map(([k]) => k.length));
  return [`fedaln-metrics: ${source}`, ...lines.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`)].join('\n');
}

function main(argv: string[]): number {
  let args: Args | 'help';
  try {
    args = readArgs(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`fedaln-metrics: ${e.message}\n\n${USAGE}\n`);
    return 2;
  }
  if (args === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  let text: string;
  try {
    text = readFileSync(args.input, 'utf8');
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    process.stderr.write(
      `fedaln-metrics: cannot read --input ${args.input} (${why}); expected a readable CSV file\n`,
    );
    return 2;
  }
  try {
    const report = metricsReport(parsePredictionsCsv(text));
    process.stdout.write(args.json ? `${JSON.stringify(report)}\n` : `${formatReport(report, args.input)}\n`);
    return 0;
  } catch (e) {
    if (!(e instanceof CsvInputError || e instanceof MetricsInputError)) throw e;
    process.stderr.write(`fedaln-metrics: ${args.input}: ${e.message}. Fix the file given to --input.\n`);
    return 2;
  }
}

process.exitCode = main(process.argv.slice(2));
