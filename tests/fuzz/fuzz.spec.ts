// The fuzz tier of `npm test` (issue 18): every target replays its committed seeds and regression
// inputs (fuzz/<target>/), then runs a fixed number of seeded mutations with coverage feedback —
// deterministic, a few seconds each. The long run is `npm run fuzz` (tests/fuzz/cli.ts).
import { runFuzzer } from './support/fuzz-run';
import { FUZZ_TARGET_NAMES } from './targets/names';

/** Mutated inputs per target in `npm test`: 3-6 s each on an idle 2-core machine, under a minute loaded. */
const RUNS = 800;

describe.each(FUZZ_TARGET_NAMES.map((t) => [t]))('fuzz target %s', (target) => {
  it(`keeps its property over its corpus and ${RUNS} seeded mutations`, async () => {
    const r = await runFuzzer({ target, seed: 1, runs: RUNS });
    if (r.failure) {
      throw new Error(
        `${target}: ${r.failure.kind} on input (base64) ${Buffer.from(r.failure.input).toString('base64')}\n${r.failure.error}`,
      );
    }
    expect(r.execs).toBeGreaterThan(RUNS);
    expect(r.features).toBeGreaterThan(0);
  }, 300_000);
});
