/** An (ε, δ) guarantee and the Rényi order whose RDP gave it. */
export interface PrivacySpent {
  epsilon: number;
  order: number;
}

/**
 * The smallest ε for which RDP ε_α at each order α implies (ε, δ)-DP, with the tight conversion of
 * Balle et al. 2020 ("Hypothesis testing interpretations and Rényi DP", Thm. 21) / Canonne, Kamath &
 * Steinke 2020 (Prop. 12), as Opacus's `get_privacy_spent`:
 *   ε = min_α [ ε_α − (log δ + log α)/(α − 1) + log((α − 1)/α) ],
 * clamped at 0. The older conversion ε_α − log(δ)/(α − 1) (Mironov 2017, Prop. 3), used by TF Privacy
 * before 2020, gives larger ε. Orders with infinite RDP are skipped.
 *
 * @example epsilonFromRdp([2], [0.5], 1e-5).epsilon // 0.5 + log(1e5/2) − log 2 ≈ 10.626
 */
export function epsilonFromRdp(
  orders: readonly number[],
  rdp: readonly number[],
  delta: number,
): PrivacySpent {
  if (orders.length === 0 || orders.length !== rdp.length)
    throw new RangeError(
      `need one RDP value per order; got ${rdp.length} values for ${orders.length} orders`,
    );
  if (!(delta > 0 && delta < 1)) throw new RangeError(`delta ${delta} is not in (0, 1)`);
  let best: PrivacySpent = { epsilon: Infinity, order: NaN };
  orders.forEach((alpha, k) => {
    const r = rdp[k]!;
    if (!(alpha > 1) || !(r >= 0))
      throw new RangeError(`order ${alpha} with RDP ${r}: need order > 1, RDP ≥ 0`);
    const epsilon = r - (Math.log(delta) + Math.log(alpha)) / (alpha - 1) + Math.log((alpha - 1) / alpha);
    if (epsilon < best.epsilon) best = { epsilon, order: alpha };
  });
  return { epsilon: Math.max(0, best.epsilon), order: best.order };
}
