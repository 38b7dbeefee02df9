import { readTensor, type TensorSource, type UpdateTensor } from './streaming-fedavg';

/**
 * An update multiplied by `scale` as it is read (each value rounded to float32), without a copy of
 * the update: how norm clipping applies a screening verdict's scale to a stored update.
 * scale = 1 gives the tensors back unchanged.
 *
 * @example
 * fedavg.add(scaledUpdate(reader.tensors, 0.25), 120); // the update clipped to a quarter of its norm
 */
export function scaledUpdate(update: readonly UpdateTensor[], scale: number): UpdateTensor[] {
  if (!(Number.isFinite(scale) && scale >= 0)) throw new Error(`scale ${scale} is not a finite number ≥ 0`);
  if (scale === 1) return [...update];
  return update.map((t): TensorSource => ({
    name: t.name,
    shape: t.shape,
    read: (from, into) => {
      readTensor(t, from, into);
      for (let i = 0; i < into.length; i++) into[i] = (into[i] as number) * scale;
    },
  }));
}
