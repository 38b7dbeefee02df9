import { beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Spawns the built bin: the root `npm test` runs `npm run build` first (pretest).
const pkg = join(__dirname, '..');
const bin = join(pkg, 'bin/fedaln-metrics.js');
const example = join(pkg, '../../examples/predictions.csv');
// pROC/glm values for the example file, from libs/metrics/fixtures/make_report_fixture.R.
const reference = require('../fixtures/report_example.json');

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}
function spawnBin(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { encoding: 'utf8' }, (error, stdout, stderr) => {
      resolve({ status: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr });
    });
  });
}
// Every invocation is started at once in beforeAll (process start-up dominates), then looked up.
const invocations = new Map<string, Promise<Run>>();
const key = (args: string[]): string => JSON.stringify(args);
const runLater = (...args: string[]): void => void invocations.set(key(args), spawnBin(args));
async function run(...args: string[]): Promise<Run> {
  return invocations.get(key(args)) ?? spawnBin(args);
}

const badInputs: [name: string, text: string, message: string][] = [
  ['missing column', 'label,prob\n1,0.5\n', 'line 1: no "score" column in the header (label,prob)'],
  [
    'label not 0/1',
    'label,score\n1,0.5\n0,0.2\nyes,0.3\n',
    'line 4 (data row 3), column "label": "yes" is not a label 0 or 1',
  ],
  [
    'non-numeric score',
    'label,score\n1,0.5\n0,n/a\n',
    'line 3 (data row 2), column "score": "n/a" is not a probability in [0, 1]',
  ],
  [
    'score above 1',
    'label,score\n1,57\n',
    'line 2 (data row 1), column "score": "57" is not a probability in [0, 1]',
  ],
  ['empty file', '', 'the file is empty'],
];
let dir = '';
const fileFor = (name: string): string => join(dir, `${name.replace(/\W/g, '_')}.csv`);

beforeAll(() => {
  if (!existsSync(join(pkg, 'dist/cli.js'))) {
    throw new Error(
      'libs/metrics/dist/cli.js is missing: build first (`npm run build` or `npx tsc -b libs/metrics`)',
    );
  }
  dir = mkdtempSync(join(tmpdir(), 'fedaln-metrics-cli-'));
  for (const [name, text] of badInputs) writeFileSync(fileFor(name), text);
  runLater('--help');
  runLater('--input', example);
  runLater(`--input=${example}`, '--json');
  for (const [name] of badInputs) runLater('--input', fileFor(name));
  runLater('--json');
  runLater('--input', example, '--verbose');
  runLater('--input');
  runLater('--input', example, 'more.csv');
  runLater('--input', join(dir, 'no-such.csv'));
  runLater('--input', dir);
});

describe('fedaln-metrics', () => {
  it('--help prints usage and exits 0', async () => {
    const r = await run('--help');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('usage: fedaln-metrics --input predictions.csv [--json]');
  });

  it('prints a readable table for the example predictions', async () => {
    const r = await run('--input', example);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('200 (78 positive, prevalence 0.390)');
    expect(r.stdout).toContain(
      `AUC             ${reference.auc.toFixed(3)} (95% CI ${reference.auc_ci[0].toFixed(3)}-`,
    );
    expect(r.stdout).toContain(`AUC of score_b  ${reference.paired.auc_b.toFixed(3)}`);
  });

  it('--json puts the report on the last stdout line', async () => {
    const r = await run(`--input=${example}`, '--json');
    expect(r.status).toBe(0);
    const last = r.stdout.trim().split('\n').pop()!;
    const report = JSON.parse(last);
    expect(report.n).toBe(reference.n);
    expect(Math.abs(report.auc - reference.auc)).toBeLessThan(1e-12);
    expect(Math.abs(report.paired.p - reference.paired.p)).toBeLessThan(1e-10 * reference.paired.p);
    expect(report.roc.thresholds[0]).toBeNull();
  });

  it.each(badInputs)('%s: exit 2 naming the row and column', async (name, _text, message) => {
    const r = await run('--input', fileFor(name));
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`fedaln-metrics: ${fileFor(name)}: ${message}`);
    expect(r.stderr).toContain('Fix the file given to --input.');
    expect(r.stdout).toBe('');
  });

  it('missing --input, an unknown flag and an unreadable file exit 2 with what to do', async () => {
    const none = await run('--json');
    expect(none.status).toBe(2);
    expect(none.stderr).toContain('missing --input: give the predictions CSV');
    const unknown = await run('--input', example, '--verbose');
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain(
      'fedaln-metrics: unknown flag "--verbose"; expected one of --input, --json (see fedaln-metrics --help)',
    );
    const missing = await run('--input', join(dir, 'no-such.csv'));
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain(`cannot read --input ${join(dir, 'no-such.csv')} (ENOENT)`);
    const directory = await run('--input', dir);
    expect(directory.status).toBe(2);
    expect(directory.stderr).toContain('(EISDIR)');
  });

  it('--input without a file and an extra word exit 2 naming them, with the usage', async () => {
    const noValue = await run('--input');
    expect(noValue.status).toBe(2);
    expect(noValue.stderr).toContain(
      'fedaln-metrics: --input needs a value; pass a file name, e.g. --input predictions.csv\n\nusage:',
    );
    const extra = await run('--input', example, 'more.csv');
    expect(extra.status).toBe(2);
    expect(extra.stderr).toContain(
      'fedaln-metrics: unexpected argument "more.csv"; see fedaln-metrics --help',
    );
    expect(extra.stdout).toBe('');
  });
});
