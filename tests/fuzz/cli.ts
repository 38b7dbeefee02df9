// `npm run fuzz -- [--target NAME|all] [--seconds 600] [--runs N] [--seed 1] [--json]`: the long
// fuzzing run (issue 18). Each target runs in turn for --seconds (or --runs mutated inputs, whichever
// ends first) from its committed corpus (fuzz/<target>/seeds and regressions); inputs that reach new
// code are kept in fuzz/<target>/corpus (not committed); a failure is written to
// fuzz/<target>/crashes/<sha256 prefix> with its error, and the run exits 1. To keep a crash as a
// regression test, move its input into fuzz/<target>/regressions/ (replayed by `npm test`) and fix it.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { benchFlags } from '../../bench/support/flags';
import { FUZZ_ROOT, runFuzzer } from './support/fuzz-run';
import { FUZZ_TARGET_NAMES } from './targets/names';

const flags = benchFlags({ target: 'all', seconds: 60, runs: 1e12, seed: 1, json: false });
const known: readonly string[] = FUZZ_TARGET_NAMES;
const names = flags.target === 'all' ? known : flags.target.split(',');
for (const name of names) {
  if (!known.includes(name)) {
    process.stderr.write(`--target "${name}" is unknown; expected all or one of ${known.join(', ')}\n`);
    process.exit(2);
  }
}

async function main(): Promise<number> {
  let failed = 0;
  for (const target of names) {
    const r = await runFuzzer({
      target,
      seed: flags.seed,
      runs: flags.runs,
      seconds: flags.seconds,
      corpusOut: path.join(FUZZ_ROOT, target, 'corpus'),
    });
    const row = {
      name: 'fuzz',
      target,
      seed: flags.seed,
      execs: r.execs,
      execs_per_s: Math.round(r.execs / r.seconds),
      corpus: r.corpus,
      features: r.features,
      slowest_ms: Math.round(r.slowest_ms),
      seconds: Math.round(r.seconds),
      failure: r.failure ? r.failure.kind : null,
    };
    if (r.failure) {
      failed++;
      const dir = path.join(FUZZ_ROOT, target, 'crashes');
      fs.mkdirSync(dir, { recursive: true });
      const file = path.join(dir, createHash('sha256').update(r.failure.input).digest('hex').slice(0, 16));
      fs.writeFileSync(file, r.failure.input);
      fs.writeFileSync(`${file}.txt`, `${r.failure.kind}: ${r.failure.error}\n`);
      process.stderr.write(
        `${target}: ${r.failure.kind}, input saved as ${path.relative(process.cwd(), file)}\n${r.failure.error}\n`,
      );
    }
    process.stdout.write(
      flags.json
        ? `${JSON.stringify(row)}\n`
        : `${target}: ${row.execs} inputs in ${row.seconds} s (${row.execs_per_s}/s), corpus ${row.corpus}, ${row.features} coverage features, slowest ${row.slowest_ms} ms${r.failure ? `, FAILED (${r.failure.kind})` : ''}\n`,
    );
  }
  return failed > 0 ? 1 : 0;
}

main().then((code) => process.exit(code));
