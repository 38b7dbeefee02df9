/**
 * The full-size Keras DenseNet201 weights file of the slow test and the import-keras benchmark:
 * written on demand (≈ 82 MB, never committed) by libs/model/fixtures/keras/make_keras_h5.py with
 * random values, in keras-applications' layout (save_weights at the root, `conv1/conv`, `fc1000`),
 * with h5py's reading of every tensor (`FILE.expected.json`: shape and sha256 of its float32 bytes).
 * Needs Debian's python3-h5py (listed in .ci/apt-packages); FEDALN_PYTHON overrides the interpreter.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

const REPO = path.join(__dirname, '..', '..', '..');
const SCRIPT = path.join(REPO, 'libs', 'model', 'fixtures', 'keras', 'make_keras_h5.py');
const BIN = path.join(REPO, 'libs', 'model', 'bin', 'fedaln-model.js');

export interface ExpectedTensor {
  name: string;
  shape: number[];
  sha256: string;
}

/** A Python with h5py and numpy, or an error saying what to install. */
export function h5Python(): string {
  const candidates = [process.env.FEDALN_PYTHON, '/usr/bin/python3', 'python3'].filter(
    (p): p is string => !!p,
  );
  for (const py of candidates) {
    if (spawnSync(py, ['-c', 'import h5py, numpy'], { stdio: 'ignore' }).status === 0) return py;
  }
  throw new Error(
    `no Python with h5py and numpy among ${candidates.join(', ')}: apt-get install -y python3-h5py, or set FEDALN_PYTHON`,
  );
}

/** Writes `file` (and `file.expected.json`) unless both exist; returns h5py's reading. */
export function ensureDenseNet201H5(file: string): ExpectedTensor[] {
  const expectedFile = `${file}.expected.json`;
  if (!existsSync(file) || !existsSync(expectedFile)) {
    const r = spawnSync(h5Python(), [SCRIPT, '--densenet201', file], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`make_keras_h5.py --densenet201 failed (${r.status}): ${r.stderr}`);
  }
  return (JSON.parse(readFileSync(expectedFile, 'utf8')) as { tensors: ExpectedTensor[] }).tensors;
}

/**
 * Runs `fedaln-model ARGS` in a child node and measures it: wall seconds and the child's peak
 * resident set (`process.resourceUsage().maxRSS`, reported by the child as it exits).
 */
export function runModelCli(...args: string[]): {
  code: number | null;
  stdout: string;
  stderr: string;
  seconds: number;
  peakRssMb: number;
} {
  const script =
    `process.on('exit', () => process.stderr.write('\\nmax_rss_kb ' + process.resourceUsage().maxRSS + '\\n'));` +
    `require(${JSON.stringify(BIN)});`;
  const t0 = performance.now();
  // With -e, argv[1] is the first argument; `fedaln-model` there keeps the CLI's argv.slice(2) right,
  // and keeps node from reading a first argument `inspect` as its debugger command.
  const r = spawnSync(process.execPath, ['-e', script, 'fedaln-model', ...args], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  const seconds = (performance.now() - t0) / 1000;
  const rss = /\nmax_rss_kb (\d+)\n/.exec(r.stderr);
  return {
    code: r.status,
    stdout: r.stdout,
    stderr: r.stderr.replace(/\nmax_rss_kb \d+\n/, ''),
    seconds,
    peakRssMb: rss ? Number(rss[1]) / 1024 : NaN,
  };
}

/** Tensors of `fedaln-model inspect DIR --json` whose shape or sha256 differ from h5py's reading. */
export function differingTensors(inspectStdout: string, expected: readonly ExpectedTensor[]): string[] {
  const report = JSON.parse(inspectStdout.trim().split('\n').at(-1)!) as { tensors: ExpectedTensor[] };
  const ours = new Map(report.tensors.map((t) => [t.name, t]));
  const differing = expected
    .filter((t) => {
      const o = ours.get(t.name);
      return !o || o.sha256 !== t.sha256 || o.shape.join(',') !== t.shape.join(',');
    })
    .map((t) => t.name);
  if (ours.size !== expected.length)
    differing.push(`(${ours.size} tensors written, h5py read ${expected.length})`);
  return differing;
}
