/**
 * Issue 13's "a site that trains on mislabelled data must be caught and shown": a data-level check,
 * not an update-level one. The study's four-feature model is fitted across the sites by federated
 * IRLS on their train cases; at the pooled fit each site's own statistics give a score test of
 * "this site's outcome given the features follows the pooled model" (`siteScoreTests`, each site's
 * intercept free: sites differ in baseline odds). A site whose labels are shuffled, or whose labels
 * mean something else, has its score pointing away from the pooled slopes. Flagged when p < α / K
 * (Bonferroni over the K tested sites), so an honest federation flags any site with probability
 * ≤ α; step-down (`stepDownSiteScoreTests`): once the most extreme site is flagged the others are
 * tested again against the fit without it, so a shuffled site's flat slopes do not get honest sites
 * flagged beside it. Shown to the lead and audit-logged; the site is not excluded automatically (README "Tensor
 * groups and the shuffled-label site"). Pure.
 */
import { siteScoreTests, stepDownSiteScoreTests, type LogisticSufficientStats } from '@fedaln/metrics';

/** The family-wise false-positive rate of the flag over an honest federation's sites. */
export const DATA_DISAGREEMENT_ALPHA = 0.05;

/** One site's test, as stored, shown on the dashboard and in the metrics API. */
export interface SiteDataDisagreement {
  readonly site_id: string;
  /** The score statistic T (χ² with `df` degrees of freedom under agreement); null: not testable. */
  readonly statistic: number | null;
  readonly df: number;
  readonly p: number | null;
  /** α / K: the site is flagged when p is below it. */
  readonly threshold: number;
  readonly flagged: boolean;
}

/**
 * Each site's data-disagreement test from its statistics at the pooled MLE of the feature model;
 * empty with fewer than 3 sites (with two, each site's test is the other's mirror: it cannot say
 * which one disagrees).
 *
 * @example
 * siteDataDisagreement([['a', statsA], ['b', statsB], ['c', statsC]]).filter((d) => d.flagged);
 */
export function siteDataDisagreement(
  sites: ReadonlyArray<readonly [string, LogisticSufficientStats]>,
  alpha = DATA_DISAGREEMENT_ALPHA,
): SiteDataDisagreement[] {
  if (sites.length < 3) return [];
  const stats = sites.map(([, s]) => s);
  const tested = siteScoreTests(stats, { free: [0] }).filter((t) => t.p !== null).length;
  const threshold = alpha / Math.max(1, tested);
  const tests = stepDownSiteScoreTests(stats, threshold, { free: [0] });
  return sites.map(([site_id], i) => {
    const { statistic, df, p, flagged } = tests[i]!;
    return { site_id, statistic, df, p, threshold, flagged };
  });
}
