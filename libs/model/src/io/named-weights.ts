/**
 * A model's weights as a plain ordered list keyed by Keras weight names (`conv1_conv/kernel`,
 * `conv1_bn/moving_mean`, ...): what the wire codec encodes and what FedAvg averages.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';

/** Structurally the `NamedTensor` of `@fedaln/protocol`, so blobs decode straight into it. */
export interface NamedWeight {
  readonly name: string;
  readonly shape: readonly number[];
  readonly values: Float32Array;
}

/** The variable behind each Keras weight name, in Keras order (layer by layer, as Keras's `model.weights`). */
function variablesByName(model: tfl.LayersModel): Map<string, tfl.LayerVariable> {
  const byName = new Map<string, tfl.LayerVariable>();
  // layer.weights keeps the creation order (gamma, beta, moving_mean, moving_variance) even when the
  // layer is frozen; model.weights would put every trainable weight before every non-trainable one.
  for (const layer of model.layers) for (const w of layer.weights) byName.set(w.originalName, w);
  return byName;
}

/**
 * The model's weights, in Keras order, as copies (the cpu backend hands out its own buffer).
 *
 * @example namedWeights(model)[0] // { name: 'conv1_conv/kernel', shape: [7, 7, 3, 64], values: Float32Array(9408) }
 */
export function namedWeights(model: tfl.LayersModel): NamedWeight[] {
  return [...variablesByName(model).values()].map((w) => {
    const t = w.read();
    return { name: w.originalName, shape: [...t.shape], values: Float32Array.from(t.dataSync()) };
  });
}

/** Names and shapes only, in Keras order, without reading values. */
export function weightShapes(model: tfl.LayersModel): { name: string; shape: number[] }[] {
  return [...variablesByName(model).values()].map((w) => ({
    name: w.originalName,
    shape: concrete(w.shape),
  }));
}

export interface SetNamedWeightsOptions {
  /** Keep the current values of model weights absent from the list (e.g. a new head). Default false. */
  allowMissing?: boolean;
  /** Ignore listed weights the model does not have (e.g. Keras's `predictions`). Default false. */
  allowUnexpected?: boolean;
  /** Where the list came from, for error messages (a path, a blob hash). */
  source?: string;
}

/** Weight shapes are always concrete; tfjs types them as `Shape` (with nulls for batch dims). */
function concrete(shape: readonly (number | null)[]): number[] {
  return shape.map((d) => d ?? -1);
}

const shapeText = (shape: readonly (number | null)[]) => `[${shape.join(',')}]`;

function listed(kind: string, items: string[]): string {
  const shown = items.slice(0, 5).join(', ');
  return `${kind} ${shown}${items.length > 5 ? ` and ${items.length - 5} more` : ''}`;
}

/**
 * Sets weights by name. Every model weight must be listed, with its shape, and nothing else
 * (unless allowed); otherwise nothing is written and the error names each missing, unexpected and
 * mis-shaped weight. Values are copied, so the caller may reuse its arrays.
 *
 * @example setNamedWeights(model, namedWeights(otherModelOfSameArch));
 */
export function setNamedWeights(
  model: tfl.LayersModel,
  list: readonly NamedWeight[],
  options: SetNamedWeightsOptions = {},
): void {
  const byName = variablesByName(model);
  const given = new Map(list.map((w) => [w.name, w]));
  const missing = [...byName.entries()]
    .filter(([name]) => !given.has(name))
    .map(([name, w]) => `${name} ${shapeText(w.shape)}`);
  const unexpected = list.filter((w) => !byName.has(w.name)).map((w) => `${w.name} ${shapeText(w.shape)}`);
  const misShaped: string[] = [];
  for (const w of list) {
    const target = byName.get(w.name);
    if (!target) continue;
    const size = w.shape.reduce((a, b) => a * b, 1);
    if (shapeText(w.shape) !== shapeText(target.shape) || w.values.length !== size) {
      misShaped.push(
        `${w.name} has shape ${shapeText(w.shape)} (${w.values.length} values), model expects ${shapeText(target.shape)}`,
      );
    }
  }
  const problems = [
    ...(missing.length && !options.allowMissing ? [listed('missing', missing)] : []),
    ...(unexpected.length && !options.allowUnexpected ? [listed('unexpected', unexpected)] : []),
    ...(misShaped.length ? [listed('mis-shaped:', misShaped)] : []),
  ];
  if (problems.length) {
    const from = options.source ? ` from ${options.source}` : '';
    throw new Error(`weights${from} do not fit model "${model.name}": ${problems.join('; ')}`);
  }
  for (const w of list) {
    const target = byName.get(w.name);
    if (!target) continue;
    const t = tf.tensor(w.values.slice(), [...w.shape], 'float32');
    target.write(t);
    t.dispose();
  }
}
