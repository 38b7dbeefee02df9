/**
 * Who sees which site's evaluation report in a release (issue 14; README "What a site sends, and why
 * it is not per-case data"): the lead (admin token) sees every site's report; a site sees its own
 * report and the pooled results, never another site's. Applied to everything a site can read about a
 * release — `GET /api/releases`, `GET /api/releases/:version`, `card.json` and `card.html` — while
 * the pooled figures are still computed from every site's report. What stays visible to the
 * study's sites: the contributing sites with their approved case counts, and the release verdict
 * (each site's AUC and pass against the policy, which justifies the release). Pure.
 */
import type { Principal } from '../auth/principal';
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
  return { ...card, sites: card.sites.filter((s) => s.site_id === who.siteId) };
}
