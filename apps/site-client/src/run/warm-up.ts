import { buildModel, isArchitecture, ARCHITECTURES } from '@fedaln/model';
import { trainModel } from '@fedaln/model';

/**
 * Training throughput of this engine for `arch` at `inputSize`: one untimed training step (tfjs
 * compiles kernels and allocates on the first), then one timed step of `batch` blank images.
 * Blank images cost the same as real ones; this measures the engine, not the data.
 *
 * @example const imagesPerS = await measureImagesPerSecond('densenet-tiny', 32); // e.g. 40
 */
export async function measureImagesPerSecond(arch: string, inputSize: number, batch = 2): Promise<number> {
  if (!isArchitecture(arch)) {
    throw new Error(`--arch "${arch}" is not a DenseNet; expected one of ${ARCHITECTURES.join(', ')}`);
  }
  const model = buildModel({ arch, inputSize, seed: 0 });
  try {
    const images = Array.from({ length: batch }, () => new Float32Array(inputSize * inputSize * 3));
    const labels = images.map((_, i) => i % 2);
    const options = { epochs: 1, batchSize: batch, learningRate: 1e-4, seed: 0, augment: false } as const;
    await trainModel(model, { images, labels }, options);
    const started = performance.now();
    await trainModel(model, { images, labels }, options);
    return batch / Math.max((performance.now() - started) / 1000, 1e-6);
  } finally {
    model.dispose();
  }
}
