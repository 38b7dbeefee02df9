/**
 * The DenseNet family (Huang et al., "Densely Connected Convolutional Networks", CVPR 2017,
 * arXiv:1608.06993) as Keras applications builds it (`keras/src/applications/densenet.py`):
 * growth rate 32, a 4×growth 1×1 bottleneck before every 3×3 conv, compression 0.5 at transitions,
 * a 2×growth-filter 7×7/2 stem. `densenet-tiny` is the same builder, shrunk for tests and demos.
 */
export const ARCHITECTURES = ['densenet121', 'densenet169', 'densenet201', 'densenet-tiny'] as const;
export type Architecture = (typeof ARCHITECTURES)[number];

export interface DenseNetSpec {
  /** Name of the tfjs model, as Keras names it (`densenet201`, ...). */
  modelName: string;
  /** Conv blocks in each dense block; block `b` (0-based) is named `conv{b+2}`. */
  blocks: readonly number[];
  /** Channels each conv block adds (k in the paper). */
  growthRate: number;
  /** Filters of the 7×7 stem conv (2k in the paper and in Keras). */
  initialFilters: number;
  /** Fraction of channels a transition keeps (θ in the paper). */
  compression: number;
}

/** Block counts from Keras `DenseNet121/169/201`; the tiny preset keeps the stem and naming. */
export const DENSENET_SPECS: Readonly<Record<Architecture, DenseNetSpec>> = {
  densenet121: {
    modelName: 'densenet121',
    blocks: [6, 12, 24, 16],
    growthRate: 32,
    initialFilters: 64,
    compression: 0.5,
  },
  densenet169: {
    modelName: 'densenet169',
    blocks: [6, 12, 32, 32],
    growthRate: 32,
    initialFilters: 64,
    compression: 0.5,
  },
  densenet201: {
    modelName: 'densenet201',
    blocks: [6, 12, 48, 32],
    growthRate: 32,
    initialFilters: 64,
    compression: 0.5,
  },
  'densenet-tiny': {
    modelName: 'densenet_tiny',
    blocks: [2, 2, 2],
    growthRate: 12,
    initialFilters: 24,
    compression: 0.5,
  },
};

export function isArchitecture(value: string): value is Architecture {
  return (ARCHITECTURES as readonly string[]).includes(value);
}

/**
 * Spatial size of the last feature map for a square input: the stem is ZeroPadding 3 + 7×7 conv
 * stride 2 (`⌊(s+6−7)/2⌋+1`), ZeroPadding 1 + 3×3 max-pool stride 2 (`⌊(s+2−3)/2⌋+1`), and every
 * transition halves with a 2×2 average pool (`⌊s/2⌋`). Zero means the input is too small.
 *
 * @example finalFeatureSize(DENSENET_SPECS.densenet201, 224) // 7
 */
export function finalFeatureSize(spec: DenseNetSpec, inputSize: number): number {
  let s = Math.floor((inputSize + 6 - 7) / 2) + 1;
  s = Math.floor((s + 2 - 3) / 2) + 1;
  for (let b = 0; b < spec.blocks.length - 1; b++) s = Math.floor(s / 2);
  return Math.max(s, 0);
}
