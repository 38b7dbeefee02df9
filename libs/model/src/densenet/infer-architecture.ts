import { type Architecture, ARCHITECTURES, DENSENET_SPECS } from './architectures';
import type { BuildModelOptions } from './build-model';

/**
 * Recognises which {@link buildModel} options produced a list of Keras weight names and shapes
 * (a blob or a layers-format manifest): the architecture from the conv blocks per dense block and
 * the growth rate (output channels of `conv2_block1_2_conv`), the head from `predictions` /
 * `aln_output`. The input size is not in the weights (convolutions are size-agnostic).
 *
 * @example inferArchitecture(weightShapes(buildModel({ arch: 'densenet201', head: 'binary' })))
 * // { arch: 'densenet201', head: 'binary', classes: 1 }
 */
export function inferArchitecture(
  weights: readonly { name: string; shape: readonly number[] }[],
): Required<Pick<BuildModelOptions, 'arch' | 'head' | 'classes'>> {
  const blocks: number[] = [];
  for (const { name } of weights) {
    const m = /^conv(\d+)_block(\d+)_/.exec(name);
    if (!m) continue;
    const b = Number(m[1]) - 2;
    blocks[b] = Math.max(blocks[b] ?? 0, Number(m[2]));
  }
  const growth = weights.find((w) => w.name === 'conv2_block1_2_conv/kernel')?.shape[3];
  const arch = ARCHITECTURES.find((a: Architecture) => {
    const spec = DENSENET_SPECS[a];
    return spec.growthRate === growth && spec.blocks.join(',') === blocks.join(',');
  });
  if (!arch) {
    throw new Error(
      `weights are not a known DenseNet: dense blocks [${blocks.join(',')}] with growth ${growth ?? 'unknown'}; ` +
        `expected one of ${ARCHITECTURES.map((a) => `${a} [${DENSENET_SPECS[a].blocks.join(',')}]/${DENSENET_SPECS[a].growthRate}`).join(', ')}`,
    );
  }
  const predictions = weights.find((w) => w.name === 'predictions/kernel');
  if (predictions) return { arch, head: 'imagenet', classes: predictions.shape[1] ?? 1000 };
  if (weights.some((w) => w.name === 'aln_output/kernel')) return { arch, head: 'binary', classes: 1 };
  return { arch, head: 'none', classes: 1000 };
}
