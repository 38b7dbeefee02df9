/**
 * `Conv2DBackpropInput` for the wasm backend as a forward convolution, so that it runs on XNNPACK's
 * convolution (tfjs-backend-wasm's own `Conv2DBackpropInput` is a scalar loop, 6–10× slower than
 * our filter-gradient kernel on DenseNet's 56×56 layers). For a convolution with stride s, padding
 * (top, left) and filter W[kh, kw, ci, co], the input gradient is (Dumoulin & Visin 2016, "A guide
 * to convolution arithmetic for deep learning", §4 "transposed convolution"):
 *
 *   dX[b, i, j, ci] = Σ_{kh, kw, co} dY[b, (i + top − kh)/s, (j + left − kw)/s, co] · W[kh, kw, ci, co]
 *
 * (terms with a non-integer or out-of-range dY index are 0). Substituting kh' = K_h − 1 − kh makes
 * it a stride-1 convolution of dY, with s − 1 zeros inserted after each of its rows and columns
 * when s > 1, by the flipped, transposed filter W'[kh', kw', co, ci] = W[K_h − 1 − kh', K_w − 1 − kw', ci, co]
 * with padding top' = K_h − 1 − top, left' = K_w − 1 − left, and bottom/right chosen so that the
 * output has X's height and width. Exact in real arithmetic; in float32 it sums the same products in
 * another order. When a padding would be negative (a pad larger than the filter) the kernel falls
 * back to tfjs-backend-wasm's own implementation, captured before this one replaces it.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { type KernelArgs, runBuiltIn } from './built-in-kernels';
import { WasmScope } from './wasm-kernel-call';

type Shape4D = [number, number, number, number];

/**
 * The wasm kernel function for `Conv2DBackpropInput` (inputs `dy`, `filter`; attrs as
 * `tf.Conv2DBackpropInputAttrs`).
 * @example
 * const dx = tf.engine().runKernel('Conv2DBackpropInput', { dy, filter }, { inputShape: [1, 8, 8, 3], strides: 1, pad: 'same', dataFormat: 'NHWC' });
 */
export function conv2DBackpropInputWasm(args: KernelArgs): tf.TensorInfo {
  const { dy, filter } = args.inputs;
  const attrs = args.attrs as unknown as tf.Conv2DBackpropInputAttrs;
  if (!dy || !filter) throw new Error('Conv2DBackpropInput (wasm) needs inputs dy and filter');
  const nchw = attrs.dataFormat === 'NCHW';
  const s = attrs.inputShape;
  const xShape = (nchw ? [s[0], s[2], s[3], s[1]] : [...s]) as Shape4D;
  const info = tf.backend_util.computeConv2DInfo(
    xShape,
    filter.shape as Shape4D,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  const plan = forwardPlan(info);
  if (!plan || dy.dtype !== 'float32' || filter.dtype !== 'float32') {
    return runBuiltIn(tf.Conv2DBackpropInput, args) as tf.TensorInfo;
  }
  const scope = new WasmScope(args.backend as BackendWasm);
  try {
    const dyNhwc = nchw ? scope.call('Transpose', { x: dy }, { perm: [0, 2, 3, 1] }) : dy;
    let dx = inputGradient(scope, dyNhwc, filter, info, plan);
    if (nchw) {
      scope.release(dyNhwc);
      const t = scope.call('Transpose', { x: dx }, { perm: [0, 3, 1, 2] });
      scope.release(dx);
      dx = t;
    }
    return scope.keep(dx);
  } finally {
    scope.releaseAll();
  }
}

interface Plan {
  /** Padding of the (zero-inserted) dY: [top, bottom, left, right]. */
  pad: [number, number, number, number];
}

/** The forward convolution's padding, or null when one is negative (then the built-in kernel runs). */
function forwardPlan(info: tf.backend_util.Conv2DInfo): Plan | null {
  const { filterHeight: kH, filterWidth: kW, strideHeight: sH, strideWidth: sW } = info;
  const { top, left } = info.padInfo;
  // Zero-inserted dY spans out·s rows (the last s − 1 of them zeros); dX row i reads rows
  // i … i + K − 1 of the padded dY, so the padded height must be H + K − 1.
  const rowsD = info.outHeight * sH;
  const colsD = info.outWidth * sW;
  const pad: Plan['pad'] = [
    kH - 1 - top,
    info.inHeight + kH - 1 - rowsD - (kH - 1 - top),
    kW - 1 - left,
    info.inWidth + kW - 1 - colsD - (kW - 1 - left),
  ];
  return pad.every((p) => p >= 0) ? { pad } : null;
}

function inputGradient(
  scope: WasmScope,
  dy: tf.TensorInfo,
  filter: tf.TensorInfo,
  info: tf.backend_util.Conv2DInfo,
  plan: Plan,
): tf.TensorInfo {
  const { strideHeight: sH, strideWidth: sW } = info;
  const wT = flipTranspose(scope, filter);
  const spread = sH > 1 || sW > 1 ? insertZeros(scope, dy, sH, sW) : dy;
  const [top, bottom, left, right] = plan.pad;
  const dx = scope.call('Conv2D', { x: spread, filter: wT }, {
    strides: 1,
    pad: [
      [0, 0],
      [top, bottom],
      [left, right],
      [0, 0],
    ],
    dataFormat: 'NHWC',
    dilations: 1,
  } as unknown as tf.NamedAttrMap);
  // The transposed filter is private: releasing it frees XNNPACK's operator, cached by its id.
  scope.release(wT);
  if (spread !== dy) scope.release(spread);
  return dx;
}

/**
 * W'[kh', kw', co, ci] = W[K_h − 1 − kh', K_w − 1 − kw', ci, co] in one pass over the heap, into a
 * buffer of its own. tfjs-backend-wasm's `Reverse` took 1.2–2.5 ms per call whatever the filter's
 * size (DenseNet's 3×3 filters have 37k values), about as long as the convolution it prepares.
 */
function flipTranspose(scope: WasmScope, filter: tf.TensorInfo): tf.TensorInfo {
  const [kH, kW, inC, outC] = filter.shape as Shape4D;
  const out = scope.own(scope.backend.makeOutput([kH, kW, outC, inC], 'float32'));
  // Views after makeOutput: allocating can grow the wasm heap, which detaches older views.
  const from = scope.backend.typedArrayFromHeap(filter) as Float32Array;
  const to = scope.backend.typedArrayFromHeap(out) as Float32Array;
  const taps = kH * kW;
  const tapSize = inC * outC;
  for (let t = 0; t < taps; t++) {
    const src = (taps - 1 - t) * tapSize; // (kh, kw) → (K_h − 1 − kh, K_w − 1 − kw) reverses the tap index
    const dst = t * tapSize;
    for (let ci = 0; ci < inC; ci++) {
      const row = src + ci * outC;
      for (let co = 0; co < outC; co++) to[dst + co * inC + ci] = from[row + co]!;
    }
  }
  return out;
}

/**
 * dY with s − 1 zero rows (columns) after every row (column): [b, oh, ow, c] → [b, oh·sH, ow·sW, c],
 * by PadV2 on a rank-6 view (no Slice: wasm's Slice copies its whole input out of the heap first).
 */
function insertZeros(scope: WasmScope, dy: tf.TensorInfo, sH: number, sW: number): tf.TensorInfo {
  const [b, oh, ow, c] = dy.shape as Shape4D;
  const six = scope.call('Reshape', { x: dy }, { shape: [b, oh, 1, ow, 1, c] });
  const padded = scope.call(
    'PadV2',
    { x: six },
    {
      paddings: [
        [0, 0],
        [0, 0],
        [0, sH - 1],
        [0, 0],
        [0, sW - 1],
        [0, 0],
      ],
      constantValue: 0,
    },
  );
  scope.release(six);
  const out = scope.call('Reshape', { x: padded }, { shape: [b, oh * sH, ow * sW, c] });
  scope.release(padded);
  return out;
}
