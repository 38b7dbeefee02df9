import { LABEL_COLUMN, LABELS_FILE, SPLIT_COLUMN, type SplitCounts } from '@fedaln/site-data';

/** What a site can do with its data. */
export interface DataSufficiency {
  /** Both classes have at least `minPerClass` cases in the train split. */
  canTrain: boolean;
  /** Both classes have at least `minPerClass` cases in the test split. */
  canEvaluate: boolean;
  /** One line per shortfall, naming the split, the counts and the fix. */
  problems: string[];
}

/**
 * Whether each split has enough cases of each class. Training needs both classes (the class-weighted
 * loss divides by each class count); an AUC needs at least one case of each class and its DeLong
 * variance needs two (the placement variances divide by n_c − 1, DeLong et al. 1988), hence the
 * default minimum of 2 per class per split.
 *
 * @example
 * dataSufficiency({ train: { negative: 20, positive: 12 }, test: { negative: 5, positive: 1 } }, 2);
 * // { canTrain: true, canEvaluate: false, problems: ['test split: 1 positive case (aln_metastasis=1); …'] }
 */
export function dataSufficiency(counts: SplitCounts, minPerClass: number, labelsFile = LABELS_FILE): DataSufficiency {
  const problems: string[] = [];
  const enough = (split: 'train' | 'test'): boolean => {
    let ok = true;
    for (const [cls, value] of [
      ['negative', 0],
      ['positive', 1],
    ] as const) {
      const n = counts[split][cls];
      if (n < minPerClass) {
        ok = false;
        problems.push(
          `${split} split: ${n} ${cls} case${n === 1 ? '' : 's'} (${LABEL_COLUMN}=${value}); at least ${minPerClass} needed ` +
            `to ${split === 'train' ? 'train' : 'evaluate'} — add cases or move some to ${SPLIT_COLUMN}=${split} in ${labelsFile}`,
        );
      }
    }
    return ok;
  };
  const canTrain = enough('train');
  const canEvaluate = enough('test');
  return { canTrain, canEvaluate, problems };
}
