// The fuzzing loop, in a worker thread of `runFuzzer` (fuzz-run.ts): the supervisor can then stop
// an input that hangs and read it back, and the worker's heap limit turns an unbounded allocation
// into an out-of-memory failure of that input rather than of the whole run.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { BlockCoverage } from './coverage';
import { Mutator } from './mutate';
import { CURRENT_INPUT, type FuzzJob, type WorkerReport } from './fuzz-protocol';
import type { FuzzTarget } from './fuzz-target';

const job = workerData as FuzzJob;
const { FUZZ_TARGETS } = require(job.targetsModule) as { FUZZ_TARGETS: readonly FuzzTarget[] };
const found = FUZZ_TARGETS.find((t) => t.name === job.target);
if (!found) throw new Error(`unknown fuzz target "${job.target}"`);
const target: FuzzTarget = found;

const shared = new Int32Array(job.shared, 0, CURRENT_INPUT.headerInts);
const inputBytes = new Uint8Array(job.shared, CURRENT_INPUT.headerInts * 4);

/** Publishes the input about to run (and bumps the exec counter the supervisor watches). */
function publish(input: Uint8Array): void {
  const n = Math.min(input.length, inputBytes.length);
  inputBytes.set(input.subarray(0, n));
  Atomics.store(shared, CURRENT_INPUT.length, n);
  Atomics.add(shared, CURRENT_INPUT.execs, 1);
}

function readCorpus(dirs: readonly string[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const dir of dirs) {
    if (!fs.existsSync(dir)) continue;
    for (const f of fs.readdirSync(dir).sort()) {
      const file = path.join(dir, f);
      if (fs.statSync(file).isFile()) out.push(new Uint8Array(fs.readFileSync(file)));
    }
  }
  return out;
}

const ROOT = path.resolve(__dirname, '..', '..', '..');
/** Coverage counts in the project's code (built libs and apps, the targets), not in dependencies or this engine. */
const projectCode = (url: string): boolean =>
  url.includes(ROOT) && !url.includes('/node_modules/') && !url.includes(__dirname);
const counted = (url: string): boolean =>
  projectCode(url) || (target.coverageOf ?? []).some((part) => url.includes(part));

async function main(): Promise<WorkerReport> {
  const run = target.run.bind(target);
  const coverage = new BlockCoverage(counted);
  const mutator = new Mutator(
    job.seed,
    target.dictionary.map((t) => new TextEncoder().encode(t)),
    target.maxLength,
  );
  const corpus: Uint8Array[] = [];
  let execs = 0;
  let slowestMs = 0;
  const attempt = async (input: Uint8Array): Promise<NonNullable<WorkerReport['crash']> | number> => {
    publish(input);
    const t0 = performance.now();
    try {
      await run(input);
    } catch (e) {
      const err = e as Error;
      return {
        input,
        error: `${err?.name ?? 'thrown'}: ${err?.message ?? String(e)}`,
        stack: err?.stack ?? '',
      };
    } finally {
      execs++;
      slowestMs = Math.max(slowestMs, performance.now() - t0);
    }
    return coverage.collect();
  };
  const report = (crash?: WorkerReport['crash']): WorkerReport => ({
    execs,
    corpus: corpus.length,
    features: coverage.size,
    slowest_ms: slowestMs,
    ...(crash ? { crash } : {}),
  });

  for (const seed of readCorpus(job.corpusDirs)) {
    const r = await attempt(seed);
    if (typeof r === 'object') return report(r);
    corpus.push(seed);
  }
  if (corpus.length === 0) corpus.push(new Uint8Array(0));
  const deadline = job.seconds === null ? Infinity : Date.now() + job.seconds * 1000;
  for (let i = 0; i < job.runs && Date.now() < deadline; i++) {
    const input = mutator.mutate(mutator.pick(corpus), mutator.pick(corpus));
    const r = await attempt(input);
    if (typeof r === 'object') return report(r);
    if (r > 0) {
      corpus.push(input);
      if (job.corpusOut) {
        fs.mkdirSync(job.corpusOut, { recursive: true });
        const name = createHash('sha256').update(input).digest('hex').slice(0, 16);
        fs.writeFileSync(path.join(job.corpusOut, name), input);
      }
    }
  }
  coverage.close();
  return report();
}

main().then(
  (r) => parentPort!.postMessage(r),
  (e: unknown) => {
    throw e;
  },
);
