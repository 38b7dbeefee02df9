/**
 * `tf.variableGrads` that frees memory during the backward pass. tfjs-core 4.22's
 * `Engine.gradients` keeps every tensor a gradient function saved and every intermediate gradient
 * until the whole backward pass ends (one tidy around it), so a step's peak holds the forward
 * activations plus a gradient for each of them. This walks the same tape in the same order with the
 * same gradient functions (so the values are identical), and after each node disposes the tensors
 * that node saved and the gradients of its outputs, as PyTorch's autograd frees buffers once used.
 * DenseNet201 at 224 px, one image, with installTrainingModes: peak tensor buffers 1 308 → 381 MB.
 *
 * It uses the engine's tape (`state.activeTape`, `startTape`/`endTape`, `scopedRun`, `tidy`), which
 * is not public API; when those are missing (another tfjs version) it falls back to tf.variableGrads.
 */
import * as tf from '@tensorflow/tfjs-core';

interface TapeNode {
  id: number;
  kernelName: string;
  inputs: Record<string, tf.Tensor>;
  outputs: tf.Tensor[];
  gradient?: (dys: Array<tf.Tensor | null>) => Record<string, () => tf.Tensor>;
  saved?: tf.Tensor[];
}

interface EngineInternals {
  state: { activeTape: TapeNode[] | null; gradientDepth: number };
  scopedRun<T>(start: () => void, end: () => void, f: () => T): T;
  startTape(): void;
  endTape(): void;
  tidy<T extends tf.TensorContainer>(name: string, f: () => T): T;
}

function internals(): EngineInternals | null {
  const e = tf.engine() as unknown as Partial<EngineInternals>;
  const ok =
    typeof e.scopedRun === 'function' &&
    typeof e.startTape === 'function' &&
    typeof e.endTape === 'function' &&
    typeof e.tidy === 'function' &&
    // activeTape exists only after the first tape was started; gradientDepth from the start.
    typeof e.state?.gradientDepth === 'number';
  return ok ? (e as EngineInternals) : null;
}

/**
 * The nodes on a path from `xs` to `y`, inputs pruned to those that depend on `xs`: tfjs-core's
 * `getFilteredNodesXToY` (tape.ts), which is not exported.
 */
function nodesFromXToY(tape: readonly TapeNode[], xs: readonly tf.Tensor[], y: tf.Tensor): TapeNode[] {
  const fromX = new Set<number>(xs.map((x) => x.id));
  const nodesFromX = new Set<number>();
  for (const node of tape) {
    if (Object.values(node.inputs).some((t) => fromX.has(t.id))) {
      node.outputs.forEach((o) => fromX.add(o.id));
      nodesFromX.add(node.id);
    }
  }
  const toY = new Set<number>([y.id]);
  const nodesToY = new Set<number>();
  for (let i = tape.length - 1; i >= 0; i--) {
    const node = tape[i]!;
    if (node.outputs.some((o) => toY.has(o.id))) {
      Object.values(node.inputs).forEach((t) => toY.add(t.id));
      nodesToY.add(node.id);
    }
  }
  return tape
    .filter((node) => nodesFromX.has(node.id) && nodesToY.has(node.id))
    .map((node) => ({
      ...node,
      inputs: Object.fromEntries(Object.entries(node.inputs).filter(([, t]) => fromX.has(t.id))),
    }));
}

/** Gradients of `y` by walking `tape` backward, freeing each node's saved tensors and output gradients. */
function backprop(
  tape: readonly TapeNode[],
  y: tf.Tensor,
  tidy: EngineInternals['tidy'],
): Map<number, tf.Tensor> {
  const gradOf = new Map<number, tf.Tensor>([[y.id, tf.onesLike(y)]]);
  // How many entries of gradOf hold each tensor: a gradient function may pass dy through unchanged.
  const holders = new Map<tf.Tensor, number>([[gradOf.get(y.id)!, 1]]);
  const hold = (t: tf.Tensor, delta: number): void => {
    const n = (holders.get(t) ?? 0) + delta;
    if (n > 0) holders.set(t, n);
    else holders.delete(t);
  };
  for (let i = tape.length - 1; i >= 0; i--) {
    const node = tape[i]!;
    const dys = node.outputs.map((o) => gradOf.get(o.id) ?? null);
    if (!node.gradient)
      throw new Error(`Cannot compute gradient: gradient function not found for ${node.kernelName}.`);
    const inputGradients = node.gradient(dys);
    for (const [name, x] of Object.entries(node.inputs)) {
      const thunk = inputGradients[name];
      if (!thunk) throw new Error(`Cannot backprop through input ${name} of ${node.kernelName}.`);
      const dx = tidy(`${node.kernelName} gradient`, thunk);
      if (dx.dtype !== 'float32' || !tf.util.arraysEqual(dx.shape, x.shape)) {
        throw new Error(
          `gradient of ${node.kernelName} input ${name}: ${dx.dtype} [${dx.shape}], expected float32 [${x.shape}]`,
        );
      }
      const current = gradOf.get(x.id);
      if (current === undefined) {
        gradOf.set(x.id, dx);
        hold(dx, 1);
      } else {
        const sum = tf.add(current, dx);
        gradOf.set(x.id, sum);
        hold(sum, 1);
        hold(current, -1);
        if (!holders.has(current) && !dys.includes(current)) current.dispose();
        if (!holders.has(dx)) dx.dispose();
      }
    }
    // This node is done: nothing reads its outputs' gradients or its saved tensors again.
    node.outputs.forEach((o) => {
      const dy = gradOf.get(o.id);
      if (dy === undefined) return;
      gradOf.delete(o.id);
      hold(dy, -1);
      if (!holders.has(dy)) dy.dispose();
    });
    node.saved?.forEach((t) => t.dispose());
  }
  return gradOf;
}

/**
 * `tf.variableGrads(f, varList)` with the memory of each tape node freed as soon as it is used.
 * @example const { value, grads } = variableGradsLowMemory(() => loss(model.apply(x)), variables);
 */
export function variableGradsLowMemory(
  f: () => tf.Scalar,
  varList: readonly tf.Variable[],
): { value: tf.Scalar; grads: tf.NamedTensorMap } {
  const engine = internals();
  const trainable = varList.filter((v) => v.trainable);
  if (!engine || engine.state.gradientDepth !== 0 || trainable.length === 0) {
    return tf.variableGrads(f, [...varList]);
  }
  const y = engine.scopedRun(
    () => engine.startTape(),
    () => engine.endTape(),
    () => engine.tidy('forward', f),
  );
  if (!(y instanceof tf.Tensor) || y.rank !== 0)
    throw new Error('variableGradsLowMemory: f must return a scalar');
  const tape = engine.state.activeTape ?? [];
  return engine.tidy('backward', () => {
    try {
      const gradOf = backprop(nodesFromXToY(tape, trainable, y), y, engine.tidy.bind(engine));
      const grads: tf.NamedTensorMap = {};
      for (const v of trainable) {
        const g = gradOf.get(v.id);
        if (g) grads[v.name] = g;
      }
      return { value: y, grads };
    } finally {
      tape.forEach((node) => node.saved?.forEach((t) => t.dispose()));
      engine.state.activeTape = null;
    }
  });
}
