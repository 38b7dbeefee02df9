/**
 * Checks a Keras weights file's tensors (names and shapes, before any value is read) against the
 * architecture they are imported into, and says what to change when they do not fit: the missing or
 * mis-shaped weight by layer and weight, expected against found shape, and the flag that fixes it
 * (`--no-top`, `--classes N`, `--arch NAME`). Pure: no I/O.
 */
import { type Architecture, ARCHITECTURES, DENSENET_SPECS } from '../densenet/architectures';
import { inferArchitecture } from '../densenet/infer-architecture';
import type { KerasH5Layout, KerasH5Tensor } from './keras-h5';

export class KerasImportError extends Error {
  override name = 'KerasImportError';
}

export interface KerasCheckContext {
  file: string;
  arch: Architecture;
  layout: KerasH5Layout;
  /** The import drops Keras's classifier (`--no-top`). */
  noTop: boolean;
  /** Number of `conv2d*` keys of a Keras 3 file, which identifies the DenseNet it holds. */
  keras3Convs?: number;
}

const shapeText = (s: readonly number[]) => `[${s.join(',')}]`;
const TOP = /^predictions\//;

/** Conv2D layers of a DenseNet: the stem, two per conv block, one per transition. */
function convCount(arch: Architecture): number {
  const { blocks } = DENSENET_SPECS[arch];
  return 1 + 2 * blocks.reduce((a, b) => a + b, 0) + blocks.length - 1;
}

/** Which DenseNet the file holds, when that can be told and differs from `--arch`. */
function otherArch(found: readonly KerasH5Tensor[], ctx: KerasCheckContext): Architecture | null {
  if (ctx.layout === 'keras3') {
    return ARCHITECTURES.find((a) => a !== ctx.arch && convCount(a) === ctx.keras3Convs) ?? null;
  }
  try {
    const { arch } = inferArchitecture(found);
    return arch === ctx.arch ? null : arch;
  } catch {
    return null;
  }
}

function listed(kind: string, items: readonly string[]): string {
  const shown = items.slice(0, 6).join('; ');
  return `${kind} ${shown}${items.length > 6 ? `; and ${items.length - 6} more` : ''}`;
}

/**
 * The file's tensor for each expected weight, in the expected order; throws a
 * {@link KerasImportError} naming every problem otherwise. With `noTop`, the file's classifier
 * (`predictions/*`) is ignored when present.
 *
 * @example
 * matchKerasTensors([{ name: 'bn/gamma', shape: [48] }], [{ name: 'bn/gamma', path: 'bn/bn/gamma:0', shape: [48] }], ctx)
 * // [{ name: 'bn/gamma', path: 'bn/bn/gamma:0', shape: [48] }]
 */
export function matchKerasTensors(
  expected: readonly { name: string; shape: readonly number[] }[],
  found: readonly KerasH5Tensor[],
  ctx: KerasCheckContext,
): KerasH5Tensor[] {
  const byName = new Map(found.map((t) => [t.name, t]));
  const wanted = new Set(expected.map((e) => e.name));
  const missing: string[] = [];
  const misShaped: string[] = [];
  const matched: KerasH5Tensor[] = [];
  for (const e of expected) {
    const t = byName.get(e.name);
    if (!t) {
      missing.push(`${e.name} ${shapeText(e.shape)}`);
      continue;
    }
    if (shapeText(t.shape) !== shapeText(e.shape)) {
      const cut = e.name.lastIndexOf('/');
      misShaped.push(
        `layer ${e.name.slice(0, cut)} weight ${e.name.slice(cut + 1)}: expected ${shapeText(e.shape)}, found ${shapeText(t.shape)} (${t.path})`,
      );
      continue;
    }
    matched.push(t);
  }
  const unexpected = found
    .filter((t) => !wanted.has(t.name) && !(ctx.noTop && TOP.test(t.name)))
    .map((t) => `${t.name} ${shapeText(t.shape)}`);
  if (!missing.length && !misShaped.length && !unexpected.length) return matched;

  const hints: string[] = [];
  const other = otherArch(found, ctx);
  if (other) hints.push(`the file holds a ${other}: pass --arch ${other}`);
  const fileTop = byName.get('predictions/kernel');
  const wantTop = expected.find((e) => e.name === 'predictions/kernel');
  if (!other && wantTop && !fileTop) {
    hints.push('the file has no classifier (predictions): pass --no-top to import the features only');
  } else if (!other && wantTop && fileTop && shapeText(wantTop.shape) !== shapeText(fileTop.shape)) {
    const classes = fileTop.shape[1];
    hints.push(
      `the file's classifier has ${classes} classes: pass --classes ${classes}, or --no-top to drop it`,
    );
  }
  const problems = [
    ...(misShaped.length ? [listed('mis-shaped:', misShaped)] : []),
    ...(missing.length ? [listed(`missing ${missing.length}:`, missing)] : []),
    ...(unexpected.length ? [listed(`unexpected ${unexpected.length}:`, unexpected)] : []),
  ];
  throw new KerasImportError(
    `${ctx.file} (${ctx.layout}) does not fit --arch ${ctx.arch}${ctx.noTop ? ' --no-top' : ''}: ${problems.join('. ')}` +
      (hints.length ? `. Fix: ${hints.join('; ')}` : ''),
  );
}
