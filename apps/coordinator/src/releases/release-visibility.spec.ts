import { describe, expect, it } from '@jest/globals';
import { metricsReport } from '../../../../tests/medium/coordinator-in-memory';
import type { ModelCard } from './card/model-card';
import type { ReleaseRecord } from './release-record';
import {
  cardAsSeenBy,
  releaseAsSeenBy,
  reportsOnTheCurrentLayout,
  verdictAsSeenBy,
} from './release-visibility';
import type { ReleaseVerdict } from '../evaluation/release-policy';

const A = { kind: 'site', siteId: 'a' } as const;
const report = metricsReport(0.8); // on today's layout, k = 5
const record = {
  version: 3,
  metrics: {
    sites: [
      { site_id: 'a', report },
      { site_id: 'b', report },
    ],
    pooled: { auc: 0.8, auc_ci: [0.7, 0.9], dca_range: null },
  },
  verdict: {
    pass: false,
    reasons: [
      {
        site: { site_id: 'b', name: 'B' },
        metric: 'site_auc',
        value: 0.61,
        threshold: 0.7,
        message: 'site B AUC 0.61 is below the minimum site AUC 0.7',
      },
      {
        metric: 'pooled_auc',
        value: 0.68,
        threshold: 0.7,
        message: 'pooled AUC 0.68 is below the minimum pooled AUC 0.7',
      },
    ],
    sites: [
      { site_id: 'a', name: 'A', auc: 0.8, pass: true },
      { site_id: 'b', name: 'B', auc: 0.61, pass: false },
    ],
    sites_passing: 1,
    sites_required: 2,
  } satisfies ReleaseVerdict,
} as unknown as ReleaseRecord;

describe('release visibility (issue 14)', () => {
  it("a site sees its own report and the pooled figures; the lead sees every site's", () => {
    const seen = releaseAsSeenBy(record, A);
    expect(seen.metrics.sites.map((s) => s.site_id)).toEqual(['a']);
    expect(seen.metrics.pooled).toEqual(record.metrics.pooled);
    // The verdict: every site's pass stays, another site's AUC (a figure of its report) does not.
    expect(seen.verdict.sites).toEqual([
      { site_id: 'a', name: 'A', auc: 0.8, pass: true },
      { site_id: 'b', name: 'B', auc: null, pass: false },
    ]);
    expect(seen.verdict.reasons[0]).toMatchObject({ metric: 'site_auc', value: null, threshold: 0.7 });
    expect(JSON.stringify(seen.verdict)).not.toContain('0.61');
    expect(seen.verdict.reasons[1]).toEqual(record.verdict.reasons[1]);
    expect(verdictAsSeenBy(record.verdict, 'b')).toEqual({
      ...record.verdict,
      sites: [{ ...record.verdict.sites[0], auc: null }, record.verdict.sites[1]],
    });
    expect(releaseAsSeenBy(record, { kind: 'admin' })).toBe(record);
    const card = {
      sites: [{ site_id: 'a' }, { site_id: 'b' }],
      pooled: { auc: 0.8 },
      release: { version: 3, verdict: record.verdict },
    } as unknown as ModelCard;
    expect(cardAsSeenBy(card, A)).toEqual({
      sites: [{ site_id: 'a' }],
      pooled: { auc: 0.8 },
      release: { version: 3, verdict: seen.verdict },
    });
    expect(cardAsSeenBy(card, { kind: 'admin' })).toBe(card);
    // The comparison (issue 15): a site sees its own figures and the pooled ones, not another site's.
    const compared = {
      ...card,
      comparison: {
        pooled: { sites: 2 },
        sites: [
          { site_id: 'a', comparison: { n: 1 } },
          { site_id: 'b', comparison: { n: 2 } },
        ],
        left_out: [{ site_id: 'b', reason: 'x' }],
      },
    } as unknown as ModelCard;
    expect(cardAsSeenBy(compared, A).comparison).toEqual({
      pooled: { sites: 2 },
      sites: [{ site_id: 'a', comparison: { n: 1 } }],
      left_out: [],
    });
  });

  it('a model card pools only reports on the current layout; a release with none has no card', () => {
    const old = { ...report, score_histograms: { bins: 1000, positive: [], negative: [] } };
    const mixed = {
      ...record,
      metrics: {
        ...record.metrics,
        sites: [
          { site_id: 'a', report },
          { site_id: 'b', report: old },
        ],
      },
    } as unknown as ReleaseRecord;
    expect(reportsOnTheCurrentLayout(mixed, 5).map((s) => s.site_id)).toEqual(['a']);
    const before = {
      ...record,
      metrics: { ...record.metrics, sites: [{ site_id: 'b', report: old }] },
    } as unknown as ReleaseRecord;
    expect(() => reportsOnTheCurrentLayout(before, 5)).toThrow(
      'release v3 has no model card: none of its 1 site reports is on the current layout (made before the privacy rule of issue 14); release a newer round',
    );
  });
});
