import type * as tfl from '@tensorflow/tfjs-layers';
import { weightShapes } from '../io/named-weights';
import { countParameters } from './parameter-count';

export interface ModelSummary {
  arch: string;
  input: number;
  params: number;
  trainable_params: number;
  /** In Keras weight order. */
  weights: { name: string; shape: number[] }[];
}

/** Keras prints shapes as Python tuples: `(None, 7, 7, 1920)`. */
function shapeText(shape: tfl.Shape | tfl.Shape[]): string {
  const tuple = (s: tfl.Shape) => `(${s.map((d) => d ?? 'None').join(', ')})`;
  return Array.isArray(shape[0])
    ? `[${(shape as tfl.Shape[]).map(tuple).join(', ')}]`
    : tuple(shape as tfl.Shape);
}

/**
 * A Keras-style text summary (layer, type, output shape, parameters, totals) and the same model as
 * data (snake_case keys: the `fedaln-model summary --json` contract).
 *
 * @example describeModel(buildModel({ arch: 'densenet-tiny', inputSize: 32 }), 'densenet-tiny', 32).json.params // 48169
 */
export function describeModel(
  model: tfl.LayersModel,
  arch: string,
  input: number,
): { lines: string[]; json: ModelSummary } {
  const { params, trainableParams } = countParameters(model);
  const rows = model.layers.map((l) => [
    `${l.name} (${l.getClassName()})`,
    shapeText(l.outputShape),
    l.countParams().toLocaleString('en-US'),
  ]);
  const widths = [0, 1, 2].map((c) => Math.max(...rows.map((r) => r[c]!.length), 12));
  const line = (r: string[]) =>
    r.map((cell, c) => (c === 2 ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join('  ');
  const rule = '─'.repeat(widths.reduce((a, b) => a + b + 2, -2));
  const fmt = (n: number) => n.toLocaleString('en-US');
  const lines = [
    `Model: "${model.name}" (${arch}, input ${input}×${input}×3)`,
    rule,
    line(['Layer (type)', 'Output shape', 'Params']),
    rule,
    ...rows.map(line),
    rule,
    `Total params: ${fmt(params)}`,
    `Trainable params: ${fmt(trainableParams)}`,
    `Non-trainable params: ${fmt(params - trainableParams)}`,
  ];
  return {
    lines,
    json: { arch, input, params, trainable_params: trainableParams, weights: weightShapes(model) },
  };
}
