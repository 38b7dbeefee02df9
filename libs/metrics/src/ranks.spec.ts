import { fixtureCases } from '../fixtures/reference';
import { midRanks } from './ranks';

/** Definition: 1 + #{j: x_j < x_i} + ½(#{j: x_j = x_i} − 1). */
function bruteForce(x: readonly number[]): number[] {
  return x.map((v) => 1 + x.filter((w) => w < v).length + (x.filter((w) => w === v).length - 1) / 2);
}

describe('midRanks', () => {
  it('gives tied values the average of their ranks (R rank(ties = "average"))', () => {
    expect(Array.from(midRanks([0.2, 0.9, 0.2, 0.5]))).toEqual([1.5, 4, 1.5, 3]);
    expect(Array.from(midRanks([3, 3, 3]))).toEqual([2, 2, 2]);
    expect(Array.from(midRanks([]))).toEqual([]);
  });

  it.each(fixtureCases.map((c) => [c.name, c] as const))('%s: equals the O(n²) definition', (_name, c) => {
    expect(Array.from(midRanks(c.scores))).toEqual(bruteForce(c.scores));
  });
});
