// The fuzz tier of `npm test` (issue 18): every target replays its committed seeds and regression
// inputs (fuzz/<target>/), then runs a fixed number of seeded mutations with coverage feedback —
// deterministic, a few seconds each. The long run is `npm run fuzz` (tests/fuzz/cli.ts).
import { runFuzzer } from './support/fuzz-run';
import { FUZZ_TARGETS } from './targets';

/** Mutated inputs per target in `npm test`: seconds each on a loaded 2-core machine. */
const RUNS = 1500;

describe.each(FUZZ_TARGETS.map((t) => [t.name]))('fuzz target %s', (target) => {
  it(`keeps its property over its corpus and ${RUNS} seeded mutations`, async () => {
    const r = await runFuzzer({ target, seed: 1, runs: RUNS });
    if (r.failure) {
      throw new Error(
        `${target}: ${r.failure.kind} on input (base64) ${Buffer.from(r.failure.input).toString('base64')}\n${r.failure.error}`,
      );
    }
    expect(r.execs).toBeGreaterThan(RUNS);
    expect(r.features).toBeGreaterThan(0);
  }, 120_000);
});
