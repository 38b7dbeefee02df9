import type { BadRow, SplitCounts } from '@fedaln/site-data';
import type { DataSufficiency } from './data-sufficiency';

export interface DataReportInput {
  dir: string;
  counts: SplitCounts;
  bad: readonly BadRow[];
  splitSource: 'column' | 'seeded';
  seed: number;
  sufficiency: DataSufficiency;
  /** Skipped rows listed one by one; the rest are counted. Default 20. */
  maxListed?: number;
}

/**
 * The data-folder report `fedaln-site run` prints before it connects: usable cases by split and
 * class, where the split came from, each skipped row with its line and reason, and each shortfall.
 *
 * @example
 * formatDataReport({ dir: '/data', counts, bad: [], splitSource: 'column', seed: 1, sufficiency }).join('\n');
 */
export function formatDataReport(input: DataReportInput): string[] {
  const { counts, bad, sufficiency } = input;
  const total = (s: 'train' | 'test'): number => counts[s].negative + counts[s].positive;
  const lines = [
    `data: ${input.dir}`,
    `  usable cases: ${total('train') + total('test')} (train ${total('train')}: ${counts.train.positive} positive, ` +
      `${counts.train.negative} negative; test ${total('test')}: ${counts.test.positive} positive, ${counts.test.negative} negative)`,
    input.splitSource === 'column'
      ? '  split: from the split column of labels.csv (rows without a value: seeded stratified 80/20)'
      : `  split: seeded stratified 80/20 (seed ${input.seed}); add a split column to labels.csv to fix it yourself`,
  ];
  if (bad.length > 0) {
    lines.push(`  skipped rows: ${bad.length} (not used; fix them in labels.csv or the image files)`);
    const shown = input.maxListed ?? 20;
    for (const row of bad.slice(0, shown)) {
      lines.push(`    labels.csv line ${row.line}${row.caseId ? ` (${row.caseId})` : ''}: ${row.reason}`);
    }
    if (bad.length > shown) lines.push(`    … and ${bad.length - shown} more`);
  } else {
    lines.push('  skipped rows: none');
  }
  for (const p of sufficiency.problems) lines.push(`  problem: ${p}`);
  lines.push(
    `  can train: ${sufficiency.canTrain ? 'yes' : 'no'}; can evaluate: ${sufficiency.canEvaluate ? 'yes' : 'no'}`,
  );
  return lines;
}
