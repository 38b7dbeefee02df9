import { fixtureCases } from '../fixtures/reference';
import { placementCovariance, placements } from './placements';
import { midRanks } from './ranks';

/** DeLong's definition, O(n²): ψ(x, y) = 1 if x > y, ½ if x = y, 0 otherwise. */
function bruteForce(labels: readonly number[], scores: readonly number[]): number[] {
  const psi = (a: number, b: number) => (a > b ? 1 : a === b ? 0.5 : 0);
  const pos = scores.filter((_, i) => labels[i] === 1);
  const neg = scores.filter((_, i) => labels[i] === 0);
  return scores.map((s, i) =>
    labels[i] === 1
      ? neg.reduce((acc, y) => acc + psi(s, y), 0) / neg.length
      : pos.reduce((acc, x) => acc + psi(x, s), 0) / pos.length,
  );
}

/** Sun & Xu (2014) literally: three separate mid-rankings. */
function sunXu(labels: readonly number[], scores: readonly number[]): number[] {
  const rz = midRanks(scores);
  const posIdx = labels.flatMap((y, i) => (y === 1 ? [i] : []));
  const negIdx = labels.flatMap((y, i) => (y === 0 ? [i] : []));
  const rx = midRanks(posIdx.map((i) => scores[i]!));
  const ry = midRanks(negIdx.map((i) => scores[i]!));
  const out = new Array<number>(scores.length);
  posIdx.forEach((i, k) => (out[i] = (rz[i]! - rx[k]!) / negIdx.length));
  negIdx.forEach((i, k) => (out[i] = 1 - (rz[i]! - ry[k]!) / posIdx.length));
  return out;
}

const twoClass = fixtureCases.filter((c) => c.labels.includes(0) && c.labels.includes(1));

describe('placements', () => {
  it.each(twoClass.map((c) => [c.name, c] as const))(
    '%s: equal the O(n²) definition and Sun & Xu mid-rank differences to 1e-15',
    (_name, c) => {
      const ours = Array.from(placements(c.labels, c.scores)!.byCase);
      const brute = bruteForce(c.labels, c.scores);
      const sx = sunXu(c.labels, c.scores);
      for (let i = 0; i < ours.length; i++) {
        expect(Math.abs(ours[i]! - brute[i]!)).toBeLessThanOrEqual(1e-15);
        expect(Math.abs(ours[i]! - sx[i]!)).toBeLessThanOrEqual(1e-15);
      }
    },
  );

  it('matches the doc example, with AUC the mean placement of either class', () => {
    const p = placements([0, 1, 0, 1], [0.1, 0.5, 0.5, 0.9])!;
    expect(Array.from(p.byCase)).toEqual([1, 0.75, 0.75, 1]);
    expect(p).toMatchObject({ auc: 0.875, nPositive: 2, nNegative: 2 });
  });

  it('covariance needs two cases per class', () => {
    const p = placements([0, 1, 1], [0.1, 0.5, 0.9])!;
    expect(() => placementCovariance([0, 1, 1], p, p)).toThrow(RangeError);
  });
});
