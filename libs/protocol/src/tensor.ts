/**
 * A named float32 tensor: the unit every weight set, blob and update is made of.
 * `values.length` must equal the product of `shape` (row-major, as tfjs `dataSync()` returns it).
 *
 * @example
 * const bias: NamedTensor = { name: 'dense/bias', shape: [2], values: new Float32Array([0.1, -0.2]) };
 */
export interface NamedTensor {
  readonly name: string;
  readonly shape: readonly number[];
  readonly values: Float32Array;
}

/**
 * Number of elements of a tensor of `shape` (1 for a scalar, `[]`).
 *
 * @example
 * elementCount([3, 3, 64, 128]); // 73728
 */
export function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** `[3, 3]` rendered for error messages. */
export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}
