/**
 * `Conv2DBackpropFilter` for the wasm backend, which tfjs-backend-wasm 4.22 lacks (DESIGN.md
 * "Engines"): without it no conv net trains on wasm. It is composed from wasm kernels that exist
 * (PadV2, Transpose, Reshape, Concat, BatchMatMul, and the row copies of wasm's rank-2
 * Slice, see {@link copyBlocks}) following the im2col formulation of the
 * filter gradient (Chellapilla, Puri & Simard 2006, "High performance convolutional neural networks
 * for document processing"; the same sum tfjs-backend-cpu's `conv2DBackpropFilter` loops over):
 *
 *   dW[kh, kw, ci, co] = Σ_{b, y, x} Xp[b, y·s_h + kh, x·s_w + kw, ci] · dY[b, y, x, co]
 *
 * with Xp = X zero-padded by the convolution's top/left padding. Per tap (kh, kw) that is one matrix
 * product dW[kh, kw] = A_tap[C_in, N] · dY[N, C_out], N = batch·outH·outW, where A_tap is Xp's
 * strided window for that tap, channels first. To make every A_tap a plain (non-strided) slice, Xp
 * is split once into its s_h·s_w stride phases, channels first:
 *
 *   P[ph, pw, ci, b, i, j] = Xp[b, i·s_h + ph, j·s_w + pw, ci]   (one Reshape + Transpose)
 *   A_tap = P[kh mod s_h, kw mod s_w, :, :, ⌊kh/s_h⌋ : +outH, ⌊kw/s_w⌋ : +outW]
 *
 * Each tap's rows are then cut as contiguous runs: the GEMM runs over every phase column j, not only
 * the outW a window reaches, with dY zero-padded to the phase width so the extra columns (which wrap
 * into the next row of P) contribute 0 (a few % more multiply-adds for one memcpy per row of P
 * instead of one per output row). A non-finite X value that no window reads can therefore still
 * reach dW as NaN (0·∞), where the cpu backend ignores it.
 *
 * The right operand dY is the same for every tap, and tfjs-backend-wasm's BatchMatMul (batch 1, no
 * transposes) runs XNNPACK's fully-connected GEMM with its packed right operand cached by buffer id:
 * dY is packed once per call, not once per tap. The taps are stacked into as few GEMMs as
 * {@link MAX_GROUP_BYTES} allows (one for every DenseNet layer at 128 px batch 4): on DenseNet's
 * small 8×8 and 4×4 maps the fixed cost of a kernel call outweighs the arithmetic, and one GEMM per
 * tap (with a Concat) cost 2–3× the forward convolution. Extra memory: one copy of Xp, one of dY and
 * one tap group.
 *
 * A 1×1 stride-1 unpadded convolution (DenseNet's bottleneck and transition convolutions, half of
 * its layers) needs no im2col: dW[C_in, C_out] = Xᵀ[C_in, N] · dY[N, C_out], one GEMM on a
 * transposed X with a private copy of dY as the packed right operand. (dWᵀ = dYᵀ · X, packing X
 * and transposing the result back, was 13–18 % slower over a DenseNet201 step: XNNPACK's packing of
 * a [K, N] right operand and wasm's Transpose of a [C_out, C_in] result cost more than one
 * Transpose of X.)
 *
 * Dilation is not an attribute of this kernel: tfjs-core's conv2d gradient rejects dilations > 1
 * before it is called. NCHW inputs are transposed to NHWC first.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { WasmScope } from './wasm-kernel-call';

/** Most bytes of one tap group (the GEMM's left operand); larger filters take several GEMMs. */
export const MAX_GROUP_BYTES = 64 * 2 ** 20;

type Shape4D = [number, number, number, number];

/**
 * The wasm kernel function for `Conv2DBackpropFilter` (inputs `x`, `dy`; attrs as
 * `tf.Conv2DBackpropFilterAttrs`). Register it with {@link registerWasmTrainingKernels}.
 * @example
 * tf.registerKernel({ kernelName: 'Conv2DBackpropFilter', backendName: 'wasm', kernelFunc: conv2DBackpropFilterWasm });
 * const dw = tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: 1, pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, 8, 16] });
 */
export function conv2DBackpropFilterWasm(args: {
  inputs: tf.NamedTensorInfoMap;
  backend: object;
  attrs?: tf.NamedAttrMap;
}): tf.TensorInfo {
  const { x, dy } = args.inputs;
  const attrs = args.attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  if (!x || !dy) throw new Error('Conv2DBackpropFilter (wasm) needs inputs x and dy');
  if (x.dtype !== 'float32' || dy.dtype !== 'float32') {
    throw new Error(`Conv2DBackpropFilter (wasm) supports float32 only; got x ${x.dtype}, dy ${dy.dtype}`);
  }
  if (x.shape.length !== 4 || dy.shape.length !== 4) {
    throw new Error(`Conv2DBackpropFilter (wasm) needs rank-4 x and dy; got [${x.shape}] and [${dy.shape}]`);
  }
  const scope = new WasmScope(args.backend as BackendWasm);
  try {
    return scope.keep(filterGradient(scope, x, dy, attrs));
  } finally {
    scope.releaseAll();
  }
}

function filterGradient(
  scope: WasmScope,
  xIn: tf.TensorInfo,
  dyIn: tf.TensorInfo,
  attrs: tf.Conv2DBackpropFilterAttrs,
): tf.TensorInfo {
  const nchw = attrs.dataFormat === 'NCHW';
  const x = nchw ? scope.call('Transpose', { x: xIn }, { perm: [0, 2, 3, 1] }) : xIn;
  const dy = nchw ? scope.call('Transpose', { x: dyIn }, { perm: [0, 2, 3, 1] }) : dyIn;
  const filterShape = attrs.filterShape;
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as Shape4D,
    filterShape,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
  const [batch, height, width, inC] = x.shape as Shape4D;
  const [kH, kW, , outC] = filterShape;
  const { outHeight: outH, outWidth: outW, strideHeight: sH, strideWidth: sW } = info;
  const expected = [batch, outH, outW, outC];
  if (dy.shape.some((d, i) => d !== expected[i]) || filterShape[2] !== inC) {
    throw new Error(
      `Conv2DBackpropFilter (wasm): dy [${dy.shape}] and filter [${filterShape}] do not match x [${x.shape}] ` +
        `with strides ${JSON.stringify(attrs.strides)} and pad ${JSON.stringify(attrs.pad)}; expected dy [${expected}]`,
    );
  }
  const { top, left } = info.padInfo;
  if (
    kH === 1 &&
    kW === 1 &&
    sH === 1 &&
    sW === 1 &&
    top === 0 &&
    left === 0 &&
    outH === height &&
    outW === width
  ) {
    const dw = pointwiseFilterGradient(scope, x, dy);
    if (nchw) [x, dy].forEach((t) => scope.release(t));
    return dw;
  }
  // Phase rows/cols: every tap's window (plus one row for the wrap-around of the last run), and at
  // least all of X after the top/left pad.
  const phaseH = Math.max(Math.ceil((height + top) / sH), outH + Math.floor((kH - 1) / sH) + 1);
  const phaseW = Math.max(Math.ceil((width + left) / sW), outW + Math.floor((kW - 1) / sW));
  const rows = batch * outH * phaseW;

  // The GEMM's right operand dY[N, C_out], zero-padded to the phase width; a private buffer in any
  // case, so XNNPACK's packed copy of it is freed when this kernel releases it.
  const dyWide =
    phaseW > outW
      ? scope.call(
          'PadV2',
          { x: dy },
          {
            paddings: [
              [0, 0],
              [0, 0],
              [0, phaseW - outW],
              [0, 0],
            ],
            constantValue: 0,
          },
        )
      : privateCopy(scope, dy);
  if (nchw) scope.release(dy);
  const dyRows = scope.call('Reshape', { x: dyWide }, { shape: [1, rows, outC] });
  scope.release(dyWide);

  const padded = scope.call(
    'PadV2',
    { x },
    {
      paddings: [
        [0, 0],
        [top, phaseH * sH - height - top],
        [left, phaseW * sW - width - left],
        [0, 0],
      ],
      constantValue: 0,
    },
  );
  if (nchw) scope.release(x);
  const split = scope.call('Reshape', { x: padded }, { shape: [batch, phaseH, sH, phaseW, sW, inC] });
  scope.release(padded);
  const phases6 = scope.call('Transpose', { x: split }, { perm: [2, 4, 5, 0, 1, 3] });
  scope.release(split);
  // Rank 2, one row per (phase, channel, image), so a tap is a rank-2 Slice: one copy per row.
  const phases = scope.call('Reshape', { x: phases6 }, { shape: [sH * sW * inC * batch, phaseH * phaseW] });
  scope.release(phases6);

  const taps = kH * kW;
  const group = Math.min(taps, Math.max(1, Math.floor(MAX_GROUP_BYTES / (4 * inC * rows))));
  const parts: tf.TensorInfo[] = [];
  for (let t0 = 0; t0 < taps; t0 += group) {
    const offsets: Array<[number, number]> = [];
    for (let t = t0; t < Math.min(t0 + group, taps); t++) {
      const kh = Math.floor(t / kW);
      const kw = t % kW;
      const phase = (kh % sH) * sW + (kw % sW);
      offsets.push([phase * inC * batch, Math.floor(kh / sH) * phaseW + Math.floor(kw / sW)]);
    }
    const a = copyBlocks(scope, phases, offsets, inC * batch, outH * phaseW);
    const a3 = scope.call('Reshape', { x: a }, { shape: [1, offsets.length * inC, rows] });
    scope.release(a);
    parts.push(scope.call('BatchMatMul', { a: a3, b: dyRows }, { transposeA: false, transposeB: false }));
    scope.release(a3);
  }
  scope.release(phases);
  scope.release(dyRows);

  const dw = parts.length === 1 ? parts[0]! : scope.call('Concat', asInputs(parts), { axis: 1 });
  if (dw !== parts[0]) parts.forEach((p) => scope.release(p));
  const out = scope.call('Reshape', { x: dw }, { shape: [...filterShape] });
  scope.release(dw);
  return out;
}

/** dW of a 1×1 stride-1 unpadded convolution: (dYᵀ · X)ᵀ, see the module comment. */
function pointwiseFilterGradient(scope: WasmScope, x: tf.TensorInfo, dy: tf.TensorInfo): tf.TensorInfo {
  const [batch, height, width, inC] = x.shape as Shape4D;
  const outC = dy.shape[3]!;
  const n = batch * height * width;
  const xRows = scope.call('Reshape', { x }, { shape: [n, inC] });
  const xT = scope.call('Transpose', { x: xRows }, { perm: [1, 0] });
  scope.release(xRows);
  const a = scope.call('Reshape', { x: xT }, { shape: [1, inC, n] });
  scope.release(xT);
  // A private copy: XNNPACK caches the packed right operand by buffer id until the buffer is freed,
  // which for dy (kept by the tape until the end of its node) would hold a packed copy for nothing.
  const b = privateCopy(scope, dy);
  const b3 = scope.call('Reshape', { x: b }, { shape: [1, n, outC] });
  scope.release(b);
  const dw = scope.call('BatchMatMul', { a, b: b3 }, { transposeA: false, transposeB: false });
  [a, b3].forEach((t) => scope.release(t));
  const out = scope.call('Reshape', { x: dw }, { shape: [1, 1, inC, outC] });
  scope.release(dw);
  return out;
}

/**
 * Stacks the blocks src[r0 : r0 + blockRows, c0 : c0 + blockCols] of a rank-2 float32 buffer, one
 * per (r0, c0), into a new [blocks·blockRows, blockCols] buffer, one memcpy per row. This is
 * tfjs-backend-wasm's own rank-2 Slice plus Concat, without Slice's `readSync`, which copies the
 * whole source out of the heap on every call (once per tap, i.e. 49 times for a 7×7 filter).
 */
function copyBlocks(
  scope: WasmScope,
  src: tf.TensorInfo,
  origins: ReadonlyArray<[number, number]>,
  blockRows: number,
  blockCols: number,
): tf.TensorInfo {
  const out = scope.own(scope.backend.makeOutput([origins.length * blockRows, blockCols], 'float32'));
  // Views after makeOutput: allocating can grow the wasm heap, which detaches older views.
  const from = scope.backend.typedArrayFromHeap(src);
  const to = scope.backend.typedArrayFromHeap(out);
  const srcCols = src.shape[1]!;
  let at = 0;
  for (const [r0, c0] of origins) {
    for (let r = r0; r < r0 + blockRows; r++, at += blockCols) {
      const start = r * srcCols + c0;
      to.set(from.subarray(start, start + blockCols), at);
    }
  }
  return out;
}

/**
 * A copy of `t` in a buffer of its own (wasm's `Identity` is replaced by a second reference to the
 * same buffer, identity-alias.ts).
 */
function privateCopy(scope: WasmScope, t: tf.TensorInfo): tf.TensorInfo {
  const out = scope.own(scope.backend.makeOutput([...t.shape], 'float32'));
  scope.backend.typedArrayFromHeap(out).set(scope.backend.typedArrayFromHeap(t));
  return out;
}

/** Concat takes its inputs as an array, as tfjs-core's `concat` op passes them. */
function asInputs(list: tf.TensorInfo[]): tf.NamedTensorInfoMap {
  return list as unknown as tf.NamedTensorInfoMap;
}
