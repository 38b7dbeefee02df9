import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildModel } from '../densenet/build-model';
import { selectEngine } from '../engine';
import { layersFormatDir, SHARD_BYTES, writeShards } from './layers-format';
import { loadWeightsByName } from './load-weights-by-name';
import { namedWeights } from './named-weights';

let root: string;
beforeAll(async () => {
  await selectEngine('cpu');
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'fedaln-layers-format-'));
});
afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

const tiny = (seed: number, extra: Partial<Parameters<typeof buildModel>[0]> = {}) =>
  buildModel({ arch: 'densenet-tiny', inputSize: 32, head: 'binary', seed, ...extra });

async function saved(name: string, model: tfl.LayersModel): Promise<string> {
  const dir = path.join(root, name);
  await model.save(layersFormatDir(dir));
  return dir;
}

describe('layersFormatDir', () => {
  it('writes model.json with a weightsManifest naming group1-shard1of1.bin for a small model', async () => {
    const model = tiny(1);
    const dir = await saved('small', model);
    model.dispose();
    const json = JSON.parse(await fs.readFile(path.join(dir, 'model.json'), 'utf8'));
    expect(json.format).toBe('layers-model');
    expect(json.modelTopology.class_name).toBe('Model');
    expect(json.weightsManifest).toHaveLength(1);
    expect(json.weightsManifest[0].paths).toEqual(['group1-shard1of1.bin']);
    expect(json.weightsManifest[0].weights[0]).toEqual({
      name: 'conv1_conv/kernel',
      shape: [7, 7, 3, 24],
      dtype: 'float32',
    });
    // densenet-tiny binary, by hand: stem 7·7·3·24 + 4·24 = 3,624; a dense block of two conv blocks
    // (in 24, then 36 channels) 13,872; a transition on 48 channels 4·48 + 48·24 = 1,344;
    // 3,624 + 3·13,872 + 2·1,344 + bn 4·48 + head 48 + 1 = 48,169 float32 weights.
    expect((await fs.stat(path.join(dir, 'group1-shard1of1.bin'))).size).toBe(48_169 * 4);
  });

  it('cuts weights into 4 MiB shards, as tensorflowjs_converter does', async () => {
    // 48 channels × 30,000 classes + 30,000 bias = 1,470,000 head weights: > 1 shard on its own.
    const model = tiny(2, { head: 'imagenet', classes: 30_000 });
    const dir = await saved('sharded', model);
    const total = model.countParams() * 4;
    model.dispose();
    const json = JSON.parse(await fs.readFile(path.join(dir, 'model.json'), 'utf8'));
    const n = Math.ceil(total / SHARD_BYTES);
    expect(n).toBe(2);
    expect(json.weightsManifest[0].paths).toEqual(['group1-shard1of2.bin', 'group1-shard2of2.bin']);
    expect((await fs.stat(path.join(dir, 'group1-shard1of2.bin'))).size).toBe(4 * 1024 * 1024);
    expect((await fs.stat(path.join(dir, 'group1-shard2of2.bin'))).size).toBe(total - 4 * 1024 * 1024);
  });

  it('round-trips densenet-tiny through tf.loadLayersModel with exactly equal weights', async () => {
    const model = tiny(3);
    const dir = await saved('roundtrip', model);
    const again = await tfl.loadLayersModel(layersFormatDir(dir));
    const a = namedWeights(model);
    const b = namedWeights(again);
    model.dispose();
    again.dispose();
    expect(b.map((w) => w.name)).toEqual(a.map((w) => w.name));
    b.forEach((w, i) => expect(w.values).toEqual(a[i]!.values));
  });

  it('names the missing model.json and what a layers-format directory holds', async () => {
    await expect(layersFormatDir(path.join(root, 'nowhere')).load()).rejects.toThrow(
      /nowhere\/model.json \(ENOENT\); expected a tfjs layers-format directory/,
    );
  });

  it('names a truncated shard', async () => {
    const model = tiny(4);
    const dir = await saved('truncated', model);
    model.dispose();
    await fs.truncate(path.join(dir, 'group1-shard1of1.bin'), 1000);
    await expect(layersFormatDir(dir).load()).rejects.toThrow(
      /group1-shard1of1.bin .* hold 1000 bytes; the manifest needs 192676/,
    );
  });
});

describe('loadWeightsByName', () => {
  it('loads saved weights into a freshly built model of another seed, exactly, leaking no tensors', async () => {
    const source = tiny(5);
    const dir = await saved('by-name', source);
    const expected = namedWeights(source);
    source.dispose();
    const target = tiny(6);
    expect(namedWeights(target)[0]!.values).not.toEqual(expected[0]!.values);
    const before = tf.memory().numTensors;
    await loadWeightsByName(target, dir);
    expect(tf.memory().numTensors).toBe(before);
    expect(namedWeights(target)).toEqual(expected);
    target.dispose();
  });

  it('names the missing and the unexpected weight when a layer was renamed', async () => {
    const model = tiny(7);
    const dir = await saved('renamed', model);
    model.dispose();
    const file = path.join(dir, 'model.json');
    const json = (await fs.readFile(file, 'utf8')).replaceAll('"conv1_conv/kernel"', '"stem_conv/kernel"');
    await fs.writeFile(file, json);
    const target = tiny(8);
    await expect(loadWeightsByName(target, dir)).rejects.toThrow(
      /do not fit model "densenet_tiny": missing conv1_conv\/kernel \[7,7,3,24\]; unexpected stem_conv\/kernel/,
    );
    target.dispose();
  });

  it('accepts the tf.keras 2 / keras-applications names conv1/conv, conv1/bn and fc1000', async () => {
    // tf.keras 2.x densenet.py: Conv2D(..., name='conv1/conv'), BatchNormalization(..., name='conv1/bn');
    // keras-applications 1.0.8 densenet.py: Dense(classes, name='fc1000'); h5 weight names end in ':0'.
    const source = tiny(13, { head: 'imagenet', classes: 4 });
    const dir = await saved('legacy-names', source);
    const expected = namedWeights(source);
    source.dispose();
    const file = path.join(dir, 'model.json');
    const json = (await fs.readFile(file, 'utf8'))
      .replaceAll('"conv1_conv/', '"conv1/conv/')
      .replaceAll('"conv1_bn/gamma"', '"conv1/bn/gamma:0"')
      .replaceAll('"conv1_bn/', '"conv1/bn/')
      .replaceAll('"predictions/', '"fc1000/');
    expect(json).toContain('"fc1000/kernel"');
    await fs.writeFile(file, json);
    const target = tiny(14, { head: 'imagenet', classes: 4 });
    await loadWeightsByName(target, dir);
    expect(namedWeights(target)).toEqual(expected);
    target.dispose();
  });

  it('names a mis-shaped weight and writes nothing', async () => {
    const ten = tiny(9, { head: 'imagenet', classes: 10 });
    const dir = await saved('ten-classes', ten);
    ten.dispose();
    const five = tiny(10, { head: 'imagenet', classes: 5 });
    const untouched = namedWeights(five);
    await expect(loadWeightsByName(five, dir)).rejects.toThrow(
      /predictions\/kernel has shape \[48,10\] \(480 values\), model expects \[48,5\]/,
    );
    expect(namedWeights(five)).toEqual(untouched);
    five.dispose();
  });

  it('loads a no-top export into a binary-head model when missing head weights are allowed', async () => {
    const backbone = tiny(11, { head: 'none' });
    const dir = await saved('no-top', backbone);
    const expected = namedWeights(backbone);
    backbone.dispose();
    const model = tiny(12);
    await expect(loadWeightsByName(model, dir)).rejects.toThrow(
      /missing aln_output\/kernel \[48,1\], aln_output\/bias \[1\]/,
    );
    await loadWeightsByName(model, dir, { allowMissing: true });
    expect(namedWeights(model).slice(0, expected.length)).toEqual(expected);
    model.dispose();
  });
});

describe('writeShards', () => {
  it('cuts chunks of any size into 4 MiB shards, byte for byte, and names a wrong total', async () => {
    // 9 MiB + 3 bytes in chunks of 1 MiB + 1 byte: chunks straddle both shard boundaries.
    const total = 9 * 1024 * 1024 + 3;
    const all = Uint8Array.from({ length: total }, (_, i) => (i * 31 + 7) & 0xff);
    const chunks = function* (size: number) {
      for (let at = 0; at < total; at += size) yield all.subarray(at, Math.min(at + size, total));
    };
    const dir = path.join(root, 'streamed');
    const paths = await writeShards(dir, total, chunks(1024 * 1024 + 1));
    expect(paths).toEqual(['group1-shard1of3.bin', 'group1-shard2of3.bin', 'group1-shard3of3.bin']);
    const written = Buffer.concat(await Promise.all(paths.map((p) => fs.readFile(path.join(dir, p)))));
    expect((await fs.stat(path.join(dir, paths[0]!))).size).toBe(SHARD_BYTES);
    expect(written.equals(Buffer.from(all))).toBe(true);

    await expect(writeShards(path.join(root, 'short'), total + 1, chunks(4096))).rejects.toThrow(
      `held ${total} bytes; the manifest needs ${total + 1}`,
    );
    await expect(writeShards(path.join(root, 'long'), total - 1, chunks(4096))).rejects.toThrow(
      `holds more than the ${total - 1} bytes the manifest needs`,
    );
  });
});
