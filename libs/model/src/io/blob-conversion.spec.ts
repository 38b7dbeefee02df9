import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { decodeBlob, readBlobHeader } from '@fedaln/protocol';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildModel } from '../densenet/build-model';
import { selectEngine } from '../engine';
import { blobToLayersDir, layersDirToBlob } from './blob-conversion';
import { layersFormatDir } from './layers-format';
import { readLayersFormatWeights } from './load-weights-by-name';
import { namedWeights } from './named-weights';

let root: string;
beforeAll(async () => {
  await selectEngine('cpu');
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'fedaln-blob-conversion-'));
});
afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

describe('layersDirToBlob / blobToLayersDir', () => {
  it('encodes in Keras order although tfjs saved trainable weights first, and comes back exactly', async () => {
    const model = buildModel({ arch: 'densenet-tiny', inputSize: 32, head: 'imagenet', classes: 3, seed: 4 });
    const expected = namedWeights(model);
    const dir = path.join(root, 'src');
    await model.save(layersFormatDir(dir));
    model.dispose();
    const manifestOrder = (await readLayersFormatWeights(dir)).map((w) => w.name);
    expect(manifestOrder).not.toEqual(expected.map((w) => w.name));

    const blob = await layersDirToBlob(dir);
    expect(blob).toMatchObject({ arch: 'densenet-tiny', head: 'imagenet', classes: 3 });
    expect(decodeBlob(blob.bytes)).toEqual(expected);

    const back = path.join(root, 'back');
    expect(await blobToLayersDir(blob.bytes, back, { inputSize: 32 })).toEqual({
      arch: 'densenet-tiny',
      head: 'imagenet',
      classes: 3,
    });
    expect(await readLayersFormatWeights(back)).toEqual(
      manifestOrder.map((name) => expected.find((w) => w.name === name)),
    );
  });

  it('writes the requested encoding for every tensor', async () => {
    const model = buildModel({ arch: 'densenet-tiny', inputSize: 32, seed: 5 });
    const dir = path.join(root, 'f16');
    await model.save(layersFormatDir(dir));
    model.dispose();
    const { bytes } = await layersDirToBlob(dir, { encoding: 'f16' });
    expect(new Set(readBlobHeader(bytes).header.tensors.map((t) => t.encoding))).toEqual(new Set(['f16']));
  });
});
