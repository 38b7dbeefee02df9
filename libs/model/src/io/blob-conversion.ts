/**
 * Conversion between the tfjs layers format and the FedALN weights blob (`@fedaln/protocol`,
 * DESIGN.md "Wire format"). A blob holds weights only, so going back to a layers-format directory
 * rebuilds the architecture the weight names and shapes identify ({@link inferArchitecture}).
 */
import { decodeBlob, encodeBlob, type EncodedBlob, type TensorEncoding } from '@fedaln/protocol';
import { buildModel, type BuildModelOptions } from '../densenet/build-model';
import { inferArchitecture } from '../densenet/infer-architecture';
import { layersFormatDir } from './layers-format';
import { readLayersFormatWeights } from './load-weights-by-name';
import { type NamedWeight, namedWeights, setNamedWeights } from './named-weights';

export interface ConversionOptions {
  /** Input size written into a rebuilt topology (default 224); weights do not depend on it. */
  inputSize?: number;
}

export type RecognisedModel = Required<Pick<BuildModelOptions, 'arch' | 'head' | 'classes'>>;

/** Builds the model the weights identify and loads them (checking every name and shape). */
function rebuild(
  weights: readonly NamedWeight[],
  source: string,
  options: ConversionOptions,
): { model: ReturnType<typeof buildModel>; recognised: RecognisedModel } {
  const recognised = inferArchitecture(weights);
  const model = buildModel({ ...recognised, inputSize: options.inputSize ?? 224, seed: 0 });
  try {
    setNamedWeights(model, weights, { source });
  } catch (e) {
    model.dispose();
    throw e;
  }
  return { model, recognised };
}

/** {@link rebuild}, then runs `use` and disposes the model. */
async function withRebuiltModel<T>(
  weights: readonly NamedWeight[],
  source: string,
  options: ConversionOptions,
  use: (model: ReturnType<typeof buildModel>, recognised: RecognisedModel) => Promise<T> | T,
): Promise<T> {
  const { model, recognised } = rebuild(weights, source, options);
  try {
    return await use(model, recognised);
  } finally {
    model.dispose();
  }
}

/**
 * Reads a layers-format directory (ours or tensorflowjs_converter's) and encodes its weights as a
 * blob in Keras weight order, whatever order the manifest had.
 *
 * @example const { bytes, sha256 } = await layersDirToBlob('/models/v3', { encoding: 'f16' });
 */
export async function layersDirToBlob(
  dir: string,
  options: ConversionOptions & { encoding?: TensorEncoding } = {},
): Promise<EncodedBlob & RecognisedModel> {
  const weights = await readLayersFormatWeights(dir);
  const { ordered, recognised } = await withRebuiltModel(weights, dir, options, (model, recognised) => ({
    ordered: namedWeights(model),
    recognised,
  }));
  return { ...encodeBlob(ordered, { encoding: options.encoding ?? 'f32' }), ...recognised };
}

/**
 * Decodes a blob and writes it as a layers-format directory loadable by `tf.loadLayersModel`.
 *
 * @example await blobToLayersDir(await fs.readFile('global-v3.blob'), '/models/v3', { inputSize: 224 });
 */
export async function blobToLayersDir(
  bytes: Uint8Array,
  dir: string,
  options: ConversionOptions = {},
): Promise<RecognisedModel> {
  return withRebuiltModel(decodeBlob(bytes), 'blob', options, async (model, recognised) => {
    await model.save(layersFormatDir(dir));
    return recognised;
  });
}

/**
 * Decodes a blob into a ready model (the architecture its weights identify, at `inputSize`): what
 * `fedaln-site predict` runs from a verified release, so the weights used are the signed bytes. The
 * caller disposes the model.
 *
 * @example const { model, arch } = blobToModel(verifiedBlob, { inputSize: 224 });
 */
export function blobToModel(
  bytes: Uint8Array,
  options: ConversionOptions = {},
): RecognisedModel & { model: ReturnType<typeof buildModel> } {
  const { model, recognised } = rebuild(decodeBlob(bytes), 'blob', options);
  return { ...recognised, model };
}
