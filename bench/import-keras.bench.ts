// `npm run bench -- import-keras [--json] [--reps 3] [--file PATH]`: time and peak memory of
// `fedaln-model import-keras` on a full-size Keras DenseNet201 weights file (≈ 82 MB, random values,
// keras-applications' layout; written by libs/model/fixtures/keras/make_keras_h5.py into
// tmp/bench/ when absent), each run a fresh CLI process as a user runs it (node start, tfjs load,
// topology build, HDF5 read through h5wasm, shards written). Every run is then checked tensor by
// tensor against h5py's reading (`inspect --json` sha256). Peer, same file, same run: h5py reading
// every dataset as float32 and writing the bytes out (bench/peers/h5py_read_keras.py), which is the
// HDF5 work tensorflowjs_converter does; its figures exclude Python's start and imports, ours
// include node's start and tfjs's, so the time ratio is against us. Best of R runs (default 3);
// peak RSS is the child's ru_maxrss. Needs Debian python3-h5py (FEDALN_PYTHON overrides).
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, statSync } from 'node:fs';
import * as os from 'node:os';
import { join } from 'node:path';
import {
  differingTensors,
  ensureDenseNet201H5,
  h5Python,
  runModelCli,
} from '../tests/slow/support/keras-densenet201';
import { benchFlags } from './support/flags';

const { json, reps, file: fileFlag } = benchFlags({ json: false, reps: 3, file: '' });
const file =
  fileFlag || join(__dirname, '..', 'tmp', 'bench', 'densenet201_weights_tf_dim_ordering_tf_kernels.h5');
mkdirSync(join(file, '..'), { recursive: true });
const expected = ensureDenseNet201H5(file);
const work = join(os.tmpdir(), `fedaln-bench-import-keras-${process.pid}`);
mkdirSync(work, { recursive: true });

try {
  let best = { seconds: Infinity, peakRssMb: Infinity };
  for (let r = 0; r < reps; r++) {
    const out = join(work, `run${r}`);
    const run = runModelCli('import-keras', file, '--arch', 'densenet201', '--out', out);
    if (run.code !== 0) throw new Error(`import-keras failed (${run.code}): ${run.stderr}`);
    const differing = differingTensors(runModelCli('inspect', out, '--json').stdout, expected);
    if (differing.length)
      throw new Error(`import-keras wrote tensors unlike h5py's: ${differing.slice(0, 5).join(', ')}`);
    best = {
      seconds: Math.min(best.seconds, run.seconds),
      peakRssMb: Math.min(best.peakRssMb, run.peakRssMb),
    };
    rmSync(out, { recursive: true, force: true });
  }

  let peer = { seconds: Infinity, peak_rss_kb: Infinity, tensors: 0, bytes: 0, h5py: '' };
  const python = h5Python();
  for (let r = 0; r < reps; r++) {
    const p = spawnSync(
      python,
      [join(__dirname, 'peers', 'h5py_read_keras.py'), file, join(work, 'h5py.bin')],
      {
        encoding: 'utf8',
      },
    );
    if (p.status !== 0) throw new Error(`h5py peer failed (${p.status}): ${p.stderr}`);
    const got = JSON.parse(p.stdout.trim().split('\n').at(-1)!) as typeof peer;
    peer = {
      ...got,
      seconds: Math.min(peer.seconds, got.seconds),
      peak_rss_kb: Math.min(peer.peak_rss_kb, got.peak_rss_kb),
    };
  }

  const h5pyPeakMb = peer.peak_rss_kb / 1024;
  const out = {
    name: 'import-keras',
    file_bytes: statSync(file).size,
    tensors: expected.length,
    verified_tensors: expected.length,
    import_s: Number(best.seconds.toFixed(3)),
    import_peak_rss_mb: Number(best.peakRssMb.toFixed(1)),
    h5py_s: Number(peer.seconds.toFixed(3)),
    h5py_peak_rss_mb: Number(h5pyPeakMb.toFixed(1)),
    ratio_time_vs_h5py: Number((best.seconds / peer.seconds).toFixed(2)),
    ratio_peak_rss_vs_h5py: Number((best.peakRssMb / h5pyPeakMb).toFixed(2)),
    h5py: peer.h5py,
    reps,
  };
  if (json) console.log(JSON.stringify(out));
  else {
    console.log(
      `import-keras: DenseNet201 .h5 of ${(out.file_bytes / 1e6).toFixed(1)} MB, ${out.tensors} tensors (all equal to h5py's reading): ` +
        `${out.import_s} s, peak RSS ${out.import_peak_rss_mb} MB (whole CLI process) vs h5py ${peer.h5py} read+write ` +
        `${out.h5py_s} s, peak RSS ${out.h5py_peak_rss_mb} MB: ${out.ratio_time_vs_h5py}x time, ` +
        `${out.ratio_peak_rss_vs_h5py}x memory (best of ${reps})`,
    );
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
