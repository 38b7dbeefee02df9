import { describe, expect, it } from '@jest/globals';
import { drawCase } from './case';
import { Rng } from './prng';
import { READER_AGREEMENT, readFeatures } from './reads';
import { cohortProfile, siteProfile } from './site';

/** Cohen's κ of two raters' categories. */
function kappa<T>(a: readonly T[], b: readonly T[]): number {
  const n = a.length;
  const cats = [...new Set([...a, ...b])];
  const agree = a.filter((x, i) => x === b[i]).length / n;
  const chance = cats.reduce(
    (s, c) => s + (a.filter((x) => x === c).length / n) * (b.filter((x) => x === c).length / n),
    0,
  );
  return (agree - chance) / (1 - chance);
}

// Phantom v2's reader against the published inter-observer κ it cites (reads.ts). A second reader is
// readFeatures on another stream. Spread over 60 cohort seeds at n = 3,000 (measured): two-reader κ
// SD 0.015 (orientation), 0.013 (halo), 0.012 (margin), 0.020 (spiculation); reader-vs-truth
// orientation κ 0.810 ± 0.013; log size-read SD 0.120 ± 0.002. Tolerances are ~3.5 SD.
const N = 3000;
const site = cohortProfile(20251204, 2);
const cases = Array.from({ length: N }, (_, i) => drawCase(site, i));
const second = cases.map((c, i) => readFeatures(c.features, site.mix, Rng.fromSeed(7, 0x2d, i)));
const first = cases.map((c) => c.read);

describe('phantom v2: the radiologist’s read', () => {
  it('two readers agree with the cited κ: orientation 0.655, halo 0.515, margin 0.34', () => {
    const k = READER_AGREEMENT;
    const by = <T>(f: (r: (typeof first)[number]) => T) => kappa(first.map(f), second.map(f));
    expect(Math.abs(by((r) => r.orientation) - k.orientation)).toBeLessThan(0.05);
    expect(Math.abs(by((r) => r.echogenicHalo) - k.echogenicHalo)).toBeLessThan(0.045);
    expect(Math.abs(by((r) => r.margin) - k.margin)).toBeLessThan(0.045);
    expect(Math.abs(by((r) => r.margin === 'spiculated') - k.margin)).toBeLessThan(0.07);
  });

  it('a read agrees with the truth at κ = √κ(two readers) and the size read has log SD 0.12', () => {
    const truth = cases.map((c) => c.features);
    expect(
      Math.abs(
        kappa(
          first.map((r) => r.orientation),
          truth.map((f) => f.orientation),
        ) - Math.sqrt(READER_AGREEMENT.orientation),
      ),
    ).toBeLessThan(0.045);
    const logRatio = cases.map((c) => Math.log(c.read.sizeMm / c.features.sizeMm));
    const mean = logRatio.reduce((a, b) => a + b, 0) / N;
    const sd = Math.sqrt(logRatio.reduce((a, b) => a + (b - mean) ** 2, 0) / N);
    expect(Math.abs(mean)).toBeLessThan(0.01);
    expect(Math.abs(sd - READER_AGREEMENT.sizeLogSd)).toBeLessThan(0.007);
  });

  it('reads are not the truth, and keep its frequencies', () => {
    const differs = cases.filter((c) => c.read.margin !== c.features.margin).length / N;
    expect(differs).toBeGreaterThan(0.2); // (1 − √0.34)·(1 − P(guess = truth)) ≈ 0.31
    const spic = (xs: { margin: string }[]) => xs.filter((x) => x.margin === 'spiculated').length / N;
    expect(Math.abs(spic(first) - spic(cases.map((c) => c.features)))).toBeLessThan(0.03);
  });

  it('v1 reads are the generated features themselves', () => {
    const c = drawCase(siteProfile(1, 42, 1), 5);
    expect(c.read).toBe(c.features);
  });
});
