// `npm run bench -- metrics [--json] [--n N] [--reps R]`: AUC with DeLong variance and CI (our
// `delong`, from the built @fedaln/metrics) against scikit-learn's `roc_auc_score` alone, on the same
// 1,000,000 seeded synthetic cases (~39% positive, scores rounded to 3 decimals so there are heavy
// ties). The data go to a temp file that the Python peer (bench/peers/sklearn_auc.py) reads with
// numpy.fromfile. Each side times only its computation: best of R runs (default 5) after a warm-up.
// The Python needs numpy and scikit-learn: FEDALN_PYTHON, else the first of python3, /usr/bin/python3
// that imports them (Debian: apt-get install python3-sklearn).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { delong } from '@fedaln/metrics';
import { Xoshiro128StarStar } from '@fedaln/site-data';
import { benchFlags } from './support/flags';
import { bestOfMs } from './support/best-of';

const { json, n, reps } = benchFlags({ json: false, n: 1_000_000, reps: 5 });

/** Seeded cases: y ~ Bernoulli(0.39); score = round(logistic(N(0,1) + 1.2·y − 0.9), 3). */
function makeData(count: number, seed: number): { labels: Uint8Array; scores: Float64Array } {
  const rng = Xoshiro128StarStar.fromSeed(seed);
  const labels = new Uint8Array(count);
  const scores = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const y = rng.nextFloat() < 0.39 ? 1 : 0;
    const u = 1 - rng.nextFloat(); // (0, 1]
    const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.nextFloat()); // Box–Muller
    labels[i] = y;
    scores[i] = Math.round(1000 / (1 + Math.exp(-(z + 1.2 * y - 0.9)))) / 1000;
  }
  return { labels, scores };
}

function findPython(): string {
  const candidates = [process.env.FEDALN_PYTHON, 'python3', '/usr/bin/python3'].filter(
    (p): p is string => !!p,
  );
  for (const py of candidates) {
    const r = spawnSync(py, ['-c', 'import numpy, sklearn'], { stdio: 'ignore' });
    if (r.status === 0) return py;
  }
  throw new Error(
    `no Python with numpy and scikit-learn among ${candidates.join(', ')}; ` +
      'install python3-sklearn (Debian) or set FEDALN_PYTHON',
  );
}

const { labels, scores } = makeData(n, 20261127);
const dir = mkdtempSync(join(tmpdir(), 'fedaln-metrics-bench-'));
try {
  const labelsFile = join(dir, 'labels.u8');
  const scoresFile = join(dir, 'scores.f64');
  writeFileSync(labelsFile, labels);
  writeFileSync(scoresFile, new Uint8Array(scores.buffer)); // little-endian on every platform Node runs on

  let result = delong(labels, scores);
  const oursMs = bestOfMs(reps, () => {
    result = delong(labels, scores);
  });

  const peer = spawnSync(
    findPython(),
    [join(__dirname, 'peers', 'sklearn_auc.py'), labelsFile, scoresFile, String(n), String(reps)],
    { encoding: 'utf8' },
  );
  if (peer.status !== 0) throw new Error(`sklearn peer failed (${peer.status}): ${peer.stderr}`);
  const sk = JSON.parse(peer.stdout.trim().split('\n').pop()!) as {
    sklearn_ms: number;
    auc: number;
    sklearn: string;
  };

  const out = {
    name: 'metrics',
    n,
    ours_ms: Number(oursMs.toFixed(2)),
    sklearn_ms: Number(sk.sklearn_ms.toFixed(2)),
    ratio_vs_sklearn: Number((sk.sklearn_ms / oursMs).toFixed(3)),
    auc: result!.auc,
    auc_sklearn: sk.auc,
  };
  if (json) {
    console.log(JSON.stringify(out));
  } else {
    console.log(
      `metrics: n = ${n.toLocaleString('en')}, delong (AUC + DeLong variance + CI) ${out.ours_ms} ms vs ` +
        `scikit-learn ${sk.sklearn} roc_auc_score ${out.sklearn_ms} ms: ${out.ratio_vs_sklearn}x ` +
        `(best of ${reps}); AUC ${out.auc} vs ${out.auc_sklearn}, ` +
        `95% CI [${result!.ci![0].toFixed(5)}, ${result!.ci![1].toFixed(5)}]`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
