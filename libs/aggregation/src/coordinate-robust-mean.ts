import { medianOfSorted, sortColumn, trimmedMeanOfSorted } from './column-order';
import { readTensor, type LayoutEntry, type UpdateTensor } from './streaming-fedavg';

/** The coordinate-wise robust aggregators a study may choose instead of FedAvg. */
export type CoordinateRobustKind = 'median' | 'trimmed-mean';

/** Floats per update read at a time: memory is K × this × 4 bytes, whatever the model's size. */
export const ROBUST_CHUNK = 1 << 14;

/**
 * Coordinate-wise median or β-trimmed mean of a round's updates, unweighted as in Flower's FedMedian
 * and FedTrimmedAvg (Yin et al., ICML 2018):
 *
 *   δ̄ⱼ = median_i δᵢⱼ    or    δ̄ⱼ = mean of δ₍c₎ⱼ … δ₍K−c−1₎ⱼ,  c = ⌊β·K⌋ (sorted per coordinate)
 *
 * computed chunk by chunk over updates read on demand (from the blob store), so memory is
 * O(K × chunk), not O(K × model); {@link applyChunk} has the signature `StreamingFedAvg.applyChunk`
 * has, so the new model can be written straight out as a blob. A median of K updates tolerates up to
 * ⌈K/2⌉ − 1 arbitrary ones; a trimmed mean ⌊β·K⌋. Sample counts are not used: a site cannot buy
 * influence with a claimed size.
 *
 * @example
 * const median = new CoordinateRobustMean(layout, [a.tensors, b.tensors, c.tensors], { kind: 'median' });
 * median.applyChunk(0, 0, out, globalValues.subarray(0, out.length)); // out = global + median δ
 */
export class CoordinateRobustMean {
  private readonly buf: Float32Array;
  private readonly col: Float64Array;
  private readonly chunk: number;

  constructor(
    private readonly layout: readonly LayoutEntry[],
    private readonly updates: readonly (readonly UpdateTensor[])[],
    private readonly options: {
      readonly kind: CoordinateRobustKind;
      readonly beta?: number;
      readonly chunk?: number;
    },
  ) {
    if (updates.length === 0) throw new Error('a robust mean of no updates is undefined');
    const beta = options.beta ?? 0;
    if (options.kind === 'trimmed-mean' && !(beta >= 0 && beta < 0.5)) {
      throw new Error(`trimmed mean: β ${beta} is not in [0, 0.5)`);
    }
    for (const u of updates) {
      if (u.length !== layout.length || layout.some((e, k) => u[k]?.name !== e.name)) {
        throw new Error('robust mean: an update is not in the layout order');
      }
    }
    this.chunk = options.chunk ?? ROBUST_CHUNK;
    this.buf = new Float32Array(updates.length * this.chunk);
    this.col = new Float64Array(updates.length);
  }

  /**
   * out[j] = global[j] + δ̄ for elements [from, from + out.length) of layout tensor k (each rounded
   * once to float32). Throws on a value that is not finite, naming the tensor and index.
   */
  applyChunk(k: number, from: number, out: Float32Array, global: Float32Array): void {
    if (global.length !== out.length) {
      throw new Error(`applyChunk: ${global.length} global values for ${out.length} outputs`);
    }
    const K = this.updates.length;
    const entry = this.layout[k] as LayoutEntry;
    const { buf, col, chunk } = this;
    for (let start = 0; start < out.length; start += chunk) {
      const len = Math.min(chunk, out.length - start);
      for (let i = 0; i < K; i++) {
        readTensor(
          this.updates[i]?.[k] as UpdateTensor,
          from + start,
          buf.subarray(i * chunk, i * chunk + len),
        );
      }
      for (let j = 0; j < len; j++) {
        for (let i = 0; i < K; i++) {
          const v = buf[i * chunk + j] as number;
          if (v - v !== 0) {
            throw new Error(
              `robust mean: value ${v} at index ${from + start + j} of tensor ${entry.name} is not finite`,
            );
          }
          col[i] = v;
        }
        sortColumn(col, K);
        const d =
          this.options.kind === 'median'
            ? medianOfSorted(col, K)
            : trimmedMeanOfSorted(col, K, this.options.beta ?? 0);
        out[start + j] = (global[start + j] as number) + d;
      }
    }
  }
}
