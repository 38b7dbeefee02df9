import { formatShape, type NamedTensor } from './tensor';

/** A layout disagreement between two weight sets; `tensor` names the first tensor that differs. */
export class WeightLayoutError extends Error {
  override readonly name = 'WeightLayoutError';
  constructor(
    message: string,
    readonly tensor: string,
  ) {
    super(`tensor "${tensor}": ${message}`);
  }
}

/**
 * Throws a {@link WeightLayoutError} unless `a` and `b` hold the same tensor names (in any order)
 * with equal shapes. Returns `b`'s tensors indexed by name for the caller's element-wise pass.
 *
 * @example
 * assertSameLayout(localWeights, globalWeights); // throws 'tensor "fc/bias": shape [2] in a, [3] in b'
 */
export function assertSameLayout(
  a: readonly NamedTensor[],
  b: readonly NamedTensor[],
): Map<string, NamedTensor> {
  const byName = new Map<string, NamedTensor>();
  for (const t of b) {
    if (byName.has(t.name)) throw new WeightLayoutError('appears twice in b', t.name);
    byName.set(t.name, t);
  }
  const seen = new Set<string>();
  for (const t of a) {
    if (seen.has(t.name)) throw new WeightLayoutError('appears twice in a', t.name);
    seen.add(t.name);
    const other = byName.get(t.name);
    if (other === undefined) throw new WeightLayoutError('is in a but not in b', t.name);
    if (t.shape.length !== other.shape.length || t.shape.some((d, i) => d !== other.shape[i])) {
      throw new WeightLayoutError(
        `shape ${formatShape(t.shape)} in a, ${formatShape(other.shape)} in b`,
        t.name,
      );
    }
    if (t.values.length !== other.values.length) {
      throw new WeightLayoutError(`${t.values.length} values in a, ${other.values.length} in b`, t.name);
    }
  }
  for (const t of b) if (!seen.has(t.name)) throw new WeightLayoutError('is in b but not in a', t.name);
  return byName;
}

function combine(a: readonly NamedTensor[], b: readonly NamedTensor[], sign: 1 | -1): NamedTensor[] {
  const byName = assertSameLayout(a, b);
  return a.map((t) => {
    const other = (byName.get(t.name) as NamedTensor).values;
    const out = new Float32Array(t.values.length);
    for (let i = 0; i < out.length; i++) out[i] = (t.values[i] as number) + sign * (other[i] as number);
    return { name: t.name, shape: [...t.shape], values: out };
  });
}

/**
 * Element-wise a − b, in a's tensor order, each element rounded once to float32. A site's update is
 * `delta = subtractWeights(local, global)` (DESIGN.md "Rounds").
 *
 * @example
 * subtractWeights([{ name: 'w', shape: [1], values: new Float32Array([3]) }],
 *                 [{ name: 'w', shape: [1], values: new Float32Array([1]) }]); // w = [2]
 */
export function subtractWeights(a: readonly NamedTensor[], b: readonly NamedTensor[]): NamedTensor[] {
  return combine(a, b, -1);
}

/**
 * Element-wise a + b, in a's tensor order, each element rounded once to float32.
 *
 * @example
 * addWeights(global, meanDelta); // the next global model
 */
export function addWeights(a: readonly NamedTensor[], b: readonly NamedTensor[]): NamedTensor[] {
  return combine(a, b, 1);
}
