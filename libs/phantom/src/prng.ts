/**
 * The phantom's random draws: the project's xoshiro128** (@fedaln/site-data) with the samplers the
 * generator needs. Normals use Marsaglia's polar method with the deterministic {@link detLog}, so no
 * engine-specific `Math.log` bits leak into the images and labels.
 */
import { Xoshiro128StarStar } from '@fedaln/site-data';
import { detLog } from './detmath';

// Module-level alias: looking up `Math` on the global object is slow inside vm sandboxes such as jest's.
const { sqrt } = Math;

/**
 * xoshiro128** with uniform-range, Bernoulli, normal and categorical draws.
 * @example const rng = Rng.fromSeed(42, 1, 7); rng.between(-0.6, 0.6);
 */
export class Rng extends Xoshiro128StarStar {
  // A flag for the spare normal: a `number | null` field would be boxed on every update.
  private hasSpare = false;
  private spare = 0;

  /** Uniform in [lo, hi). */
  between(lo: number, hi: number): number {
    return lo + (hi - lo) * this.nextFloat();
  }

  /** True with probability p. */
  bernoulli(p: number): boolean {
    return this.nextFloat() < p;
  }

  /**
   * Standard normal by Marsaglia's polar method: u, v uniform in (−1, 1) with s = u²+v² in (0, 1),
   * then u·√(−2 ln s / s) and v·√(−2 ln s / s) are independent N(0, 1) (Marsaglia & Bray 1964).
   */
  normal(): number {
    if (this.hasSpare) {
      this.hasSpare = false;
      return this.spare;
    }
    for (;;) {
      const u = 2 * this.nextFloat() - 1;
      const v = 2 * this.nextFloat() - 1;
      const s = u * u + v * v;
      if (s > 0 && s < 1) {
        const f = sqrt((-2 * detLog(s)) / s);
        this.spare = v * f;
        this.hasSpare = true;
        return u * f;
      }
    }
  }

  /** Index drawn with the given probabilities (they need not sum exactly to 1). */
  categorical(probabilities: readonly number[]): number {
    let total = 0;
    for (const p of probabilities) total += p;
    let u = this.nextFloat() * total;
    for (let i = 0; i < probabilities.length; i++) {
      u -= probabilities[i]!;
      if (u < 0) return i;
    }
    return probabilities.length - 1;
  }
}
