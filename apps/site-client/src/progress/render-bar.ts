export interface BarInput {
  label: string;
  done: number;
  total: number;
  /** Text after the percentage, e.g. `12.3 images/s` or `4.1 MB/s`. */
  detail?: string;
  /** Characters between the brackets; default 30. */
  width?: number;
}

/**
 * One progress-bar line: `label [#########.........]  30% detail`. The fill is ⌊width · done/total⌋
 * characters, so a bar is full only when done = total.
 *
 * @example renderBar({ label: 'epoch 1/2', done: 3, total: 10, width: 10 }) // 'epoch 1/2 [###.......]  30%'
 */
export function renderBar(input: BarInput): string {
  const width = input.width ?? 30;
  const fraction = input.total > 0 ? Math.min(1, Math.max(0, input.done / input.total)) : 1;
  const filled = Math.floor(width * fraction);
  const percent = `${Math.floor(fraction * 100)}%`.padStart(4);
  const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
  return `${input.label} ${bar} ${percent}${input.detail ? ` ${input.detail}` : ''}`;
}

/**
 * `bytes` as MB (10⁶ bytes) with one decimal, as transfer rates are quoted.
 *
 * @example formatMb(2_500_000) // '2.5 MB'
 */
export function formatMb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}
