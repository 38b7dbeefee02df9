/** Why {@link StreamingFedAvg.add} refused an update; the accumulator is unchanged in every case. */
export type UpdateRejectedCode =
  /** The update's tensor names or shapes differ from the global layout. */
  | 'layout_mismatch'
  /** A value is NaN or ±∞. */
  | 'non_finite'
  /** A value, or the round's Σ n·max|δ| of a tensor, exceeds the accumulator's range (`grid.ts`). */
  | 'out_of_range'
  /** nSamples is not an integer in 1…2²⁴. */
  | 'bad_weight'
  /** The round already holds the most updates the accumulator takes (2¹⁴). */
  | 'too_many_updates';

/**
 * A site update the aggregator will not fold. `tensor` (and `index`) say where, so the coordinator
 * can tell the site which layer is bad.
 *
 * @example
 * try { fedavg.add(update, 120); } catch (e) { if (e instanceof UpdateRejected) reply(e.code, e.message); }
 */
export class UpdateRejected extends Error {
  override readonly name = 'UpdateRejected';
  constructor(
    readonly code: UpdateRejectedCode,
    message: string,
    readonly tensor?: string,
    readonly index?: number,
  ) {
    super(tensor === undefined ? message : `tensor "${tensor}": ${message}`);
  }
}
