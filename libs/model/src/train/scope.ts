/**
 * Which layers a fine-tuning run trains, by Keras DenseNet layer name
 * (`keras/src/applications/densenet.py`): the stem is `conv1_*`, `pool1` and the zero paddings;
 * dense block K is `convK_*` (K = 2…5 in DenseNet201) and the transition after it is `poolK_*`;
 * the final `bn`/`relu` follow the last dense block; everything else (e.g. `aln_pool`,
 * `aln_dropout`, `aln_output`) is the head.
 */
import type * as tfl from '@tensorflow/tfjs-layers';

/** `all`: every layer; `{ fromBlock: K }`: dense blocks ≥ K, their transitions and the head; `head`. */
export type TrainableScope = 'all' | 'head' | { fromBlock: number };

/** Where a layer sits: the stem, a dense block number, the final bn/relu (`last`), or the head. */
export type LayerStage = 'stem' | number | 'last' | 'head';

/**
 * Classifies a layer by its Keras DenseNet name.
 * @example layerStage('conv4_block12_1_conv') // 4
 * @example layerStage('pool3_pool') // 3 (the transition after dense block 3)
 */
export function layerStage(name: string): LayerStage {
  if (/^(input|zero_padding2d)/.test(name) || /^conv1[_/]/.test(name) || name === 'pool1') return 'stem';
  const block = /^(?:conv|pool)(\d+)_/.exec(name);
  if (block) return Number(block[1]);
  if (name === 'bn' || name === 'relu') return 'last';
  return 'head';
}

function isTrainable(stage: LayerStage, scope: TrainableScope): boolean {
  if (scope === 'all') return true;
  if (stage === 'head') return true;
  if (scope === 'head') return false;
  if (stage === 'stem') return false;
  return stage === 'last' || stage >= scope.fromBlock;
}

/** Parses `all`, `head` or `from-block-K` (the CLI spelling). */
export function parseTrainableScope(text: string): TrainableScope {
  if (text === 'all' || text === 'head') return text;
  const m = /^from-block-(\d+)$/.exec(text);
  if (m) return { fromBlock: Number(m[1]) };
  throw new Error(
    `trainable scope "${text}" is unknown; expected all, head or from-block-K (e.g. from-block-4)`,
  );
}

/**
 * Sets `layer.trainable` for `scope` and returns a function restoring the previous flags.
 * @example const restore = applyTrainableScope(model, { fromBlock: 5 }); try { … } finally { restore(); }
 */
export function applyTrainableScope(model: tfl.LayersModel, scope: TrainableScope): () => void {
  if (typeof scope === 'object') {
    const blocks = new Set(model.layers.map((l) => layerStage(l.name)).filter((s) => typeof s === 'number'));
    if (!Number.isInteger(scope.fromBlock) || !blocks.has(scope.fromBlock)) {
      throw new Error(
        `from-block-${scope.fromBlock} names no dense block of ${model.name}; ` +
          `its blocks are ${[...blocks].join(', ') || 'none (no convK_ layers)'}`,
      );
    }
  }
  const previous = model.layers.map((l) => l.trainable);
  for (const layer of model.layers) layer.trainable = isTrainable(layerStage(layer.name), scope);
  return () => model.layers.forEach((l, i) => (l.trainable = previous[i]!));
}
