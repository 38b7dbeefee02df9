/**
 * Element-wise sums of per-tensor Float32Arrays (the workers' gradients and weights), in place.
 */

/**
 * `into[i] += add[i]` for every tensor i; the shapes must match.
 * @example const a = [Float32Array.of(1, 2)]; sumInto(a, [Float32Array.of(3, 4)]); // a[0] = [4, 6]
 */
export function sumInto(into: Float32Array[], add: readonly Float32Array[]): void {
  if (into.length !== add.length) throw new Error(`cannot sum ${add.length} tensors into ${into.length}`);
  into.forEach((target, t) => {
    const source = add[t]!;
    if (source.length !== target.length) {
      throw new Error(`tensor ${t}: cannot add ${source.length} values to ${target.length}`);
    }
    for (let i = 0; i < target.length; i++) target[i]! += source[i]!;
  });
}
