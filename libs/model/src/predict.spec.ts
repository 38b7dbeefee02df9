import { describe, expect, it } from '@jest/globals';
import { mkdtemp } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import sharp from 'sharp';
import { buildModel } from './densenet/build-model';
import { loadImage } from './images/decode';
import { predictProbabilities } from './predict';
import { createPrng } from '@fedaln/site-data';

const SIZE = 32;

describe('predictProbabilities (cpu, densenet-tiny)', () => {
  const model = buildModel({ arch: 'densenet-tiny', inputSize: SIZE, head: 'binary', seed: 3 });
  const rng = createPrng(5);
  const images = Array.from({ length: 5 }, () =>
    Float32Array.from({ length: SIZE * SIZE * 3 }, () => rng.normal()),
  );

  it("equals tfjs's model.predict on the whole stack, for any batch size, and leaks no tensor", async () => {
    await tf.setBackend('cpu');
    const reference = tf.tidy(() =>
      (
        model.predict(
          tf.tensor4d(Float32Array.from(images.flatMap((i) => [...i])), [5, SIZE, SIZE, 3]),
        ) as tf.Tensor
      ).dataSync(),
    );
    const before = tf.memory().numTensors;
    const progress: [number, number][] = [];
    const p = await predictProbabilities(model, images, {
      batchSize: 2,
      onProgress: (d, t) => progress.push([d, t]),
    });
    expect(tf.memory().numTensors).toBe(before);
    for (let i = 0; i < 5; i++) expect(p[i]).toBeCloseTo(reference[i]!, 5);
    expect(progress).toEqual([
      [2, 5],
      [4, 5],
      [5, 5],
    ]);
    expect(Array.from(await predictProbabilities(model, images, { batchSize: 16 }))).toEqual(Array.from(p));
  });

  it('decodes paths to the model input size like loadImage', async () => {
    await tf.setBackend('cpu');
    const dir = await mkdtemp(path.join(os.tmpdir(), 'fedaln-predict-'));
    const file = path.join(dir, 'case.png');
    await sharp({ create: { width: 50, height: 40, channels: 3, background: { r: 10, g: 200, b: 90 } } })
      .png()
      .toFile(file);
    const [fromPath] = await predictProbabilities(model, [file]);
    const [fromArray] = await predictProbabilities(model, [await loadImage(file, SIZE)]);
    expect(fromPath).toBe(fromArray);
  });

  it('rejects an image of the wrong size and a bad batch size, naming the value', async () => {
    await expect(predictProbabilities(model, [new Float32Array(10)])).rejects.toThrow(
      'image 0 has 10 values; the model expects 32×32×3 = 3072',
    );
    await expect(predictProbabilities(model, images, { batchSize: 0 })).rejects.toThrow('batch size 0');
  });
});
