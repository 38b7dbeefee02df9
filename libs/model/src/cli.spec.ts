import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildModel } from './densenet/build-model';
import { selectEngine } from './engine';
import { layersFormatDir } from './io/layers-format';
import { readLayersFormatWeights } from './io/load-weights-by-name';
import { namedWeights } from './io/named-weights';

const BIN = path.join(__dirname, '..', 'bin', 'fedaln-model.js');
const DIST = path.join(__dirname, '..', 'dist', 'cli.js');

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function lastJson(stdout: string): Record<string, unknown> {
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
}

let root: string;
beforeAll(async () => {
  if (!existsSync(DIST)) {
    throw new Error(
      `${DIST} is missing: the CLI tests spawn the built bin; run \`npm run build\` (or \`npm test\`) first`,
    );
  }
  await selectEngine('cpu');
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'fedaln-model-cli-'));
});
afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

describe('fedaln-model summary --json', () => {
  it('reports Keras DenseNet201: 20,242,984 params, 20,013,928 trainable, conv1_conv first, predictions last', () => {
    const r = run('summary', '--arch', 'densenet201', '--json');
    expect(r.code).toBe(0);
    const json = lastJson(r.stdout);
    // Keras `DenseNet201(weights=None).summary()`: Total 20,242,984; Trainable 20,013,928.
    expect(json).toMatchObject({
      arch: 'densenet201',
      input: 224,
      params: 20_242_984,
      trainable_params: 20_013_928,
    });
    const weights = json.weights as { name: string; shape: number[] }[];
    expect(weights[0]).toEqual({ name: 'conv1_conv/kernel', shape: [7, 7, 3, 64] });
    expect(weights.at(-2)).toEqual({ name: 'predictions/kernel', shape: [1920, 1000] });
    expect(r.stdout).toContain('Total params: 20,242,984');
    expect(r.stdout).toMatch(/conv5_block32_2_conv \(Conv2D\)\s+\(None, 7, 7, 32\)\s+36,864/);
  });

  it('drops the top with --no-top (Keras 7,037,504) and builds the binary head with --classes 1', () => {
    expect(lastJson(run('summary', '--arch', 'densenet121', '--no-top', '--json').stdout).params).toBe(
      7_037_504,
    );
    const binary = lastJson(
      run('summary', '--arch', 'densenet-tiny', '--input', '64', '--classes', '1', '--json').stdout,
    );
    // densenet-tiny binary, counted by hand in io/layers-format.spec.ts: 48,169.
    expect(binary).toMatchObject({ input: 64, params: 48_169 });
    expect((binary.weights as { name: string }[]).at(-1)).toEqual({ name: 'aln_output/bias', shape: [1] });
  });

  it.each([
    [
      ['summary', '--arch', 'densenet202'],
      /--arch "densenet202" is not a DenseNet; expected one of densenet121/,
    ],
    [
      ['summary', '--arch', 'densenet121', '--input', 'big'],
      /--input "big" is not valid; expected an integer/,
    ],
    [['summary', '--arch', 'densenet121', '--input', '16'], /--input 16 is too small for densenet121/],
    [
      ['summary', '--arch', 'densenet121', '--top'],
      /^fedaln-model: unknown flag "--top"; expected one of --arch, --input, --classes, --no-top, --json \(see fedaln-model --help\)\n/,
    ],
    [
      ['summary', '--arch'],
      /^fedaln-model: --arch needs a value; expected one of densenet121, densenet169, densenet201, densenet-tiny\n/,
    ],
    [
      ['summary', '--arch', 'densenet121', '--classes', '0'],
      /^fedaln-model: --classes "0" is not valid; expected an integer of at least 1\n/,
    ],
    [
      ['convert', '--in', 'm', '--out', 'm.blob', '--encoding', 'f64'],
      /^fedaln-model: --encoding "f64" is not a valid choice; expected one of f32, f16, q8\n/,
    ],
    [
      ['summary', '--arch', 'densenet121', '--no-top', '--classes', '1'],
      /--no-top and --classes 1 contradict/,
    ],
    [['train'], /unknown command "train"; expected one of summary, convert, inspect/],
    [['convert', '--in', '/nonexistent/x'], /convert needs both --in and --out/],
  ])('exits 2 for %j, naming the bad value', (args, message) => {
    const r = run(...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});

describe('fedaln-model convert and inspect', () => {
  it('converts layers format → blob → layers format with identical weights, and inspects the blob', async () => {
    const model = buildModel({ arch: 'densenet-tiny', inputSize: 32, head: 'binary', seed: 3 });
    const expected = namedWeights(model);
    const dir = path.join(root, 'tiny');
    await model.save(layersFormatDir(dir));
    model.dispose();
    const blob = path.join(root, 'tiny.blob');
    const toBlob = run('convert', '--in', dir, '--out', blob);
    expect(toBlob.stderr).toBe('');
    expect(toBlob.code).toBe(0);
    const back = path.join(root, 'back');
    expect(run('convert', '--in', blob, '--out', back, '--input', '32').code).toBe(0);
    const byName = (ws: { name: string }[]) => [...ws].sort((a, b) => a.name.localeCompare(b.name));
    // tfjs saves trainable weights first; the values per name must come back bit-exact.
    expect(byName(await readLayersFormatWeights(back))).toEqual(byName(expected));

    const inspected = run('inspect', blob, '--json');
    expect(inspected.code).toBe(0);
    const report = lastJson(inspected.stdout);
    // sha256 by node:crypto over the file, independent of the codec's own hashing.
    expect(report.sha256).toBe(
      createHash('sha256')
        .update(await fs.readFile(blob))
        .digest('hex'),
    );
    expect(report.params).toBe(48_169);
    const tensors = report.tensors as { name: string; encoding: string }[];
    expect(tensors.map((t) => t.name)).toEqual(expected.map((w) => w.name));
    expect(new Set(tensors.map((t) => t.encoding))).toEqual(new Set(['f32']));
  });

  it('inspects a layers-format directory: shards with their sha256, tensors with dtype and bytes', async () => {
    const model = buildModel({ arch: 'densenet-tiny', inputSize: 32, head: 'binary', seed: 4 });
    const dir = path.join(root, 'inspect-dir');
    await model.save(layersFormatDir(dir));
    const kernel = namedWeights(model).find((w) => w.name === 'conv1_conv/kernel')!.values;
    model.dispose();
    const r = run('inspect', dir, '--json');
    expect(r.code).toBe(0);
    const report = lastJson(r.stdout);
    const shard = await fs.readFile(path.join(dir, 'group1-shard1of1.bin'));
    expect(report.shards).toEqual([
      {
        path: 'group1-shard1of1.bin',
        bytes: shard.length,
        sha256: createHash('sha256').update(shard).digest('hex'),
      },
    ]);
    const tensors = report.tensors as { name: string; shape: number[]; encoding: string; bytes: number }[];
    // conv1_conv/kernel: 7·7·3·24 float32 = 14,112 bytes, hashed on their own; all tensors together fill the shard.
    expect(tensors.find((t) => t.name === 'conv1_conv/kernel')).toEqual({
      name: 'conv1_conv/kernel',
      shape: [7, 7, 3, 24],
      encoding: 'float32',
      bytes: 14_112,
      sha256: createHash('sha256')
        .update(Buffer.from(kernel.buffer, kernel.byteOffset, kernel.byteLength))
        .digest('hex'),
    });
    expect(tensors.reduce((a, t) => a + t.bytes, 0)).toBe(shard.length);
  });

  it('exits 2 naming a file that is not a blob', async () => {
    const file = path.join(root, 'not-a-blob.blob');
    await fs.writeFile(file, 'hello, this is text');
    const r = run('inspect', file);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`FILE "${file}" is not a weights blob`);
  });
});
