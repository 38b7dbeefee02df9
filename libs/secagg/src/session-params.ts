import { SecAggError } from './secagg-error';
import type { SessionParams } from './messages';
import { MASK_PRGS } from './mask-stream';

/**
 * Checks n and t. t > n/2: two disjoint groups of sites can then never both reach the threshold,
 * so a coordinator cannot tell one half "site d dropped" (getting its s key) and the other "d
 * survived" (getting its self-mask seed) — Bonawitz et al. 2017 §6 takes t > n/2 for the
 * semi-honest setting (a malicious coordinator needs t > 2n/3 and the consistency round).
 * The default t = ⌊2n/3⌋ + 1 meets both.
 *
 * @example
 * defaultThreshold(5); // 4
 */
export function checkParams(p: SessionParams): void {
  if (!Number.isInteger(p.sites) || p.sites < 2) {
    throw new SecAggError('bad_parameters', `sites ${p.sites} is not an integer ≥ 2`);
  }
  if (!Number.isInteger(p.threshold) || p.threshold <= p.sites / 2 || p.threshold > p.sites) {
    throw new SecAggError(
      'bad_parameters',
      `threshold ${p.threshold} is not an integer in ${Math.floor(p.sites / 2) + 1}..${p.sites} (more than half of ${p.sites} sites)`,
    );
  }
  if (p.prg !== undefined && !MASK_PRGS.includes(p.prg)) {
    throw new SecAggError(
      'bad_parameters',
      `prg ${String(p.prg)} is not one of ${MASK_PRGS.join(', ')} (absent: aes-256-ctr)`,
    );
  }
  if (p.roundTag.length === 0)
    throw new SecAggError('bad_parameters', 'the round tag is empty: give each session a fresh one');
}

export function defaultThreshold(sites: number): number {
  return Math.floor((2 * sites) / 3) + 1;
}
