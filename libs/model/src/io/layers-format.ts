/**
 * The tfjs layers format on disk, as `tensorflowjs_converter --input_format keras` writes it and
 * `tf.loadLayersModel` reads it: `model.json` (topology + `weightsManifest`) and the weight bytes,
 * concatenated in manifest order and cut into `group1-shard{i}of{N}.bin` files of at most 4 MiB
 * (the converter's default `weight_shard_size_bytes`). No tfjs-node: plain `node:fs`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

/** tensorflowjs_converter's default shard size, 4 MiB. */
export const SHARD_BYTES = 4 * 1024 * 1024;
export const MODEL_JSON = 'model.json';

const SHARD_FILE = /^group\d+-shard\d+of\d+\.bin$/;

/**
 * Bytes one manifest entry occupies in the shards: elements × bytes per stored element (quantised
 * entries store their quantisation dtype); null for strings, whose size depends on the data.
 *
 * @example manifestEntryBytes({ name: 'w', shape: [3, 4], dtype: 'float32' }) // 48
 */
export function manifestEntryBytes(entry: tf.io.WeightsManifestEntry): number | null {
  if (entry.dtype === 'string') return null;
  const dtype = entry.quantization?.dtype ?? entry.dtype;
  const perElement = { uint8: 1, bool: 1, uint16: 2, float16: 2, complex64: 8, float32: 4, int32: 4 }[dtype];
  return entry.shape.reduce((a, b) => a * b, 1) * perElement;
}

/** Bytes the manifest entries need, or null when a string tensor makes it data-dependent. */
function expectedBytes(entries: readonly tf.io.WeightsManifestEntry[]): number | null {
  let total = 0;
  for (const e of entries) {
    const bytes = manifestEntryBytes(e);
    if (bytes === null) return null;
    total += bytes;
  }
  return total;
}

async function writeModel(dir: string, artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
  if (artifacts.modelTopology instanceof ArrayBuffer) {
    throw new Error(`layers format (${dir}) stores a JSON topology; got a binary (graph-model) topology`);
  }
  // A released model's folder: its owner's only (issue 14).
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const weights = new tf.io.CompositeArrayBuffer(artifacts.weightData ?? []);
  const shards = function* () {
    for (let from = 0; from < weights.byteLength; from += SHARD_BYTES) {
      yield new Uint8Array(weights.slice(from, Math.min(from + SHARD_BYTES, weights.byteLength)));
    }
  };
  const paths = await writeShards(dir, weights.byteLength, shards());
  await writeModelJson(dir, artifacts, paths);
  return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
}

/**
 * Writes `totalBytes` of weight data, taken from `chunks` in order (any sizes: one tensor at a
 * time, so the whole set need never be in memory at once), as `group1-shard{i}of{N}.bin` files of
 * {@link SHARD_BYTES}; removes shards of an earlier save with another count; returns the names.
 */
export async function writeShards(
  dir: string,
  totalBytes: number,
  chunks: Iterable<Uint8Array>,
): Promise<string[]> {
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const count = Math.ceil(totalBytes / SHARD_BYTES);
  const paths = Array.from({ length: count }, (_, i) => `group1-shard${i + 1}of${count}.bin`);
  const tooMany = () =>
    new Error(`weight data for ${dir} holds more than the ${totalBytes} bytes the manifest needs`);
  let shard = 0;
  let fill = 0;
  let written = 0;
  let buffer = new Uint8Array(Math.min(SHARD_BYTES, totalBytes));
  for (const chunk of chunks) {
    for (let at = 0; at < chunk.length;) {
      if (buffer.length === 0) throw tooMany();
      const n = Math.min(chunk.length - at, buffer.length - fill);
      buffer.set(chunk.subarray(at, at + n), fill);
      fill += n;
      at += n;
      if (fill === buffer.length) {
        await fs.writeFile(path.join(dir, paths[shard]!), buffer);
        written += fill;
        shard++;
        fill = 0;
        buffer = new Uint8Array(Math.min(SHARD_BYTES, totalBytes - written));
      }
    }
  }
  if (written !== totalBytes) {
    throw new Error(`weight data for ${dir} held ${written + fill} bytes; the manifest needs ${totalBytes}`);
  }
  // Shards of an earlier save with another count would otherwise sit beside the new ones.
  for (const file of await fs.readdir(dir)) {
    if (SHARD_FILE.test(file) && !paths.includes(file)) await fs.rm(path.join(dir, file));
  }
  return paths;
}

/** `model.json` for weights already written as `paths` ({@link writeShards}). */
export async function writeModelJson(
  dir: string,
  artifacts: Omit<tf.io.ModelArtifacts, 'weightData'>,
  paths: readonly string[],
): Promise<void> {
  const modelJson: tf.io.ModelJSON = {
    modelTopology: artifacts.modelTopology ?? {},
    format: artifacts.format ?? 'layers-model',
    generatedBy: artifacts.generatedBy ?? 'fedaln',
    convertedBy: artifacts.convertedBy ?? null,
    weightsManifest: [{ paths: [...paths], weights: artifacts.weightSpecs ?? [] }],
    ...(artifacts.trainingConfig ? { trainingConfig: artifacts.trainingConfig } : {}),
    ...(artifacts.userDefinedMetadata ? { userDefinedMetadata: artifacts.userDefinedMetadata } : {}),
  };
  await fs.writeFile(path.join(dir, MODEL_JSON), JSON.stringify(modelJson));
}

async function readModelJson(dir: string): Promise<tf.io.ModelJSON> {
  const file = path.join(dir, MODEL_JSON);
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    throw new Error(
      `cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); ` +
        `expected a tfjs layers-format directory with model.json and group1-shard*.bin`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`${file} is not JSON (${(err as Error).message})`);
  }
  const modelJson = json as Partial<tf.io.ModelJSON>;
  if (
    typeof json !== 'object' ||
    json === null ||
    !modelJson.modelTopology ||
    !Array.isArray(modelJson.weightsManifest)
  ) {
    throw new Error(
      `${file} is not a tfjs model.json: expected "modelTopology" and a "weightsManifest" array`,
    );
  }
  return modelJson as tf.io.ModelJSON;
}

async function readWeights(
  dir: string,
  manifest: tf.io.WeightsManifestConfig,
): Promise<[tf.io.WeightsManifestEntry[], ArrayBuffer[]]> {
  const specs: tf.io.WeightsManifestEntry[] = [];
  const buffers: ArrayBuffer[] = [];
  for (const group of manifest) {
    const groupBuffers: ArrayBuffer[] = [];
    for (const p of group.paths) {
      const file = path.join(dir, p);
      const bytes = await fs.readFile(file).catch((err: NodeJS.ErrnoException) => {
        throw new Error(
          `cannot read weight shard ${file} named in ${path.join(dir, MODEL_JSON)} (${err.code ?? err.message})`,
        );
      });
      groupBuffers.push(
        bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
      );
    }
    const got = groupBuffers.reduce((a, b) => a + b.byteLength, 0);
    const want = expectedBytes(group.weights);
    if (want !== null && got !== want) {
      throw new Error(
        `weight shards ${group.paths.join(', ')} in ${dir} hold ${got} bytes; the manifest needs ${want}`,
      );
    }
    specs.push(...group.weights);
    buffers.push(...groupBuffers);
  }
  return [specs, buffers];
}

/**
 * An IOHandler for a layers-format directory: `model.save(layersFormatDir(dir))` writes it,
 * `tf.loadLayersModel(layersFormatDir(dir))` (or `.load()`) reads it.
 *
 * @example
 * await model.save(layersFormatDir('/data/models/v3'));
 * const again = await tf.loadLayersModel(layersFormatDir('/data/models/v3'));
 */
export function layersFormatDir(dir: string): Required<Pick<tf.io.IOHandler, 'save' | 'load'>> {
  return {
    save: (artifacts) => writeModel(dir, artifacts),
    load: async () => {
      const modelJson = await readModelJson(dir);
      return tf.io.getModelArtifactsForJSON(modelJson, (manifest) => readWeights(dir, manifest));
    },
  };
}
