/**
 * Who sees which site's evaluation report in a release (issue 14; README "What a site sends, and why
 * it is not per-case data"): the lead (admin token) sees every site's report; a site sees its own
 * report and the pooled results, never another site's. Applied to everything a site can read about a
 * release — `GET /api/releases`, `GET /api/releases/:version`, `card.json` and `card.html` — while
 * the pooled figures are still computed from every site's report. What stays visible to the
 * study's sites: the contributing sites with their approved case counts, and the release verdict
 * with each site's pass or fail against the policy (which justifies the release) — but another
 * site's AUC, a figure of its report, is withheld (null, its failed reason without the value). Also
 * which stored reports a model card may pool. Pure.
 */
import type { Principal } from '../auth/principal';
import { DomainError } from '../domain/domain-error';
import { siteReportProblem } from '../evaluation/site-report-check';
import type { ReleaseVerdict } from '../evaluation/release-policy';
import type { ModelCard } from './card/model-card';
import type { ReleaseRecord } from './release-record';

/**
 * The record as `who` may see it: for a site, `metrics.sites` holds its own report only.
 *
 * @example releaseAsSeenBy(record, { kind: 'site', siteId: 'a' }).metrics.sites; // [{ site_id: 'a', report }]
 */
export function releaseAsSeenBy(record: ReleaseRecord, who: Principal): ReleaseRecord {
  if (who.kind === 'admin') return record;
  return {
    ...record,
    metrics: { ...record.metrics, sites: record.metrics.sites.filter((s) => s.site_id === who.siteId) },
    verdict: verdictAsSeenBy(record.verdict, who.siteId),
  };
}

/**
 * The verdict as site `siteId` may see it: every site's pass or fail stays, other sites' AUCs are
 * null, and a reason about another site keeps its metric and bar but not the value.
 *
 * @example verdictAsSeenBy(verdict, 'a').sites.find((s) => s.site_id === 'b')?.auc; // null
 */
export function verdictAsSeenBy(verdict: ReleaseVerdict, siteId: string): ReleaseVerdict {
  return {
    ...verdict,
    sites: verdict.sites.map((s) => (s.site_id === siteId ? s : { ...s, auc: null })),
    reasons: verdict.reasons.map((r) =>
      !r.site || r.site.site_id === siteId
        ? r
        : {
            ...r,
            value: null,
            message: `site ${r.site.name} did not reach the policy's ${r.metric} of ${r.threshold} (its figures are the lead's)`,
          },
    ),
  };
}

/**
 * The model card as `who` may see it: for a site, `sites` holds its own entry only (its report's
 * figures and ROC); the pooled figures and the training totals stay.
 *
 * @example cardAsSeenBy(card, { kind: 'site', siteId: 'a' }).sites.map((s) => s.site_id); // ['a']
 */
export function cardAsSeenBy(card: ModelCard, who: Principal): ModelCard {
  if (who.kind === 'admin') return card;
  return {
    ...card,
    sites: card.sites.filter((s) => s.site_id === who.siteId),
    ...(card.comparison
      ? {
          comparison: {
            ...card.comparison,
            sites: card.comparison.sites.filter((s) => s.site_id === who.siteId),
            left_out: card.comparison.left_out.filter((s) => s.site_id === who.siteId),
          },
        }
      : {}),
    release: {
      ...card.release,
      verdict: card.release.verdict && verdictAsSeenBy(card.release.verdict, who.siteId),
    },
  };
}

/**
 * The release's site reports that pass today's checks (`siteReportProblem`, the study's privacy k).
 * Releases made before issue 14 hold reports in the old per-case layout, which cannot be pooled.
 *
 * @throws DomainError RELEASE_NOT_FOUND when no report of the release is on the current layout.
 * @example reportsOnTheCurrentLayout(record, 5).map((s) => s.site_id);
 */
export function reportsOnTheCurrentLayout(
  record: ReleaseRecord,
  k: number,
): ReleaseRecord['metrics']['sites'] {
  const current = record.metrics.sites.filter((s) => siteReportProblem(s.report, k) === null);
  if (current.length === 0)
    throw new DomainError(
      'RELEASE_NOT_FOUND',
      `release v${record.version} has no model card: none of its ${record.metrics.sites.length} site reports is on the current layout (made before the privacy rule of issue 14); release a newer round`,
    );
  return current;
}
