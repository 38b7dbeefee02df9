import { describe, expect, it } from '@jest/globals';
import { decisionCurveFromCounts, defaultThresholds } from '@fedaln/metrics';
import type { ReleasePolicySpec } from '../domain/study-spec';
import {
  evaluateReleasePolicy,
  validateReleasePolicy,
  type PolicyPooled,
  type PolicySite,
} from './release-policy';

const policy: ReleasePolicySpec = Object.freeze({
  min_site_auc: 0.7,
  min_pooled_auc: 0.75,
  dca_range: Object.freeze([0.17, 0.6]) as unknown as [number, number],
  min_sites_passing: 'all',
});
const site = (id: string, auc: number | null, n = 60, n_pos = 24): PolicySite =>
  Object.freeze({ site_id: id, name: `Site ${id}`, report: { n, n_pos, auc } });

/**
 * A pooled decision curve from counts (n = 100, 40 positive) where the model treats 36 true and
 * `fp` false positives at every grid threshold. By hand (Vickers & Elkin): NB(t) = 0.36 − fp/100·t/(1−t),
 * treat-all(t) = 0.4 − 0.6·t/(1−t).
 */
function pooledWith(fp: (t: number) => number, auc = 0.8): PolicyPooled {
  const thresholds = defaultThresholds();
  const dca = decisionCurveFromCounts({
    n: 100,
    n_pos: 40,
    thresholds,
    tp: thresholds.map(() => 36),
    fp: thresholds.map(fp),
  });
  return { auc, dca };
}

describe('evaluateReleasePolicy', () => {
  it('passes when every criterion holds, with no reasons', () => {
    // fp = 5: at t = 0.17, NB = 0.36 − 0.05·0.2048 = 0.3498 > treat-all 0.4 − 0.6·0.2048 = 0.2771;
    // at t = 0.6, NB = 0.36 − 0.05·1.5 = 0.285 > 0 ≥ treat-all.
    const v = evaluateReleasePolicy(policy, {
      sites: [site('a', 0.81), site('b', 0.7)],
      pooled: pooledWith(() => 5),
    });
    expect(v).toMatchObject({ pass: true, reasons: [], sites_passing: 2, sites_required: 2 });
  });

  it('names the failing site, its AUC and the minimum', () => {
    const v = evaluateReleasePolicy(policy, {
      sites: [site('a', 0.81), site('b', 0.66)],
      pooled: pooledWith(() => 5),
    });
    expect(v.pass).toBe(false);
    expect(v.reasons[0]).toEqual({
      site: { site_id: 'b', name: 'Site b' },
      metric: 'site_auc',
      value: 0.66,
      threshold: 0.7,
      message: 'Site b: AUC 0.66 is below the minimum site AUC 0.7',
    });
    expect(v.reasons[1]).toMatchObject({ metric: 'sites_passing', value: 1, threshold: 2 });
    expect(v.sites).toEqual([
      { site_id: 'a', name: 'Site a', auc: 0.81, pass: true },
      { site_id: 'b', name: 'Site b', auc: 0.66, pass: false },
    ]);
  });

  it('an undefined site AUC (one-class test split) fails with its counts', () => {
    const v = evaluateReleasePolicy(policy, { sites: [site('a', null, 12, 0)], pooled: pooledWith(() => 5) });
    expect(v.reasons[0]!.message).toBe(
      'Site a: AUC is undefined (0 of 12 test cases positive); the minimum site AUC is 0.7',
    );
  });

  it('a numeric quorum tolerates failing sites when enough pass', () => {
    const quorum = { ...policy, min_sites_passing: 2 };
    const sites = [site('a', 0.81), site('b', 0.66), site('c', 0.75)];
    expect(evaluateReleasePolicy(quorum, { sites, pooled: pooledWith(() => 5) })).toMatchObject({
      pass: true,
      reasons: [],
    });
    const v = evaluateReleasePolicy(
      { ...policy, min_sites_passing: 3 },
      { sites, pooled: pooledWith(() => 5) },
    );
    expect(v.reasons.map((r) => r.metric)).toEqual(['site_auc', 'sites_passing']);
    expect(v.reasons[1]!.message).toBe('2 of 3 sites reach the minimum site AUC 0.7; the policy needs 3');
  });

  it('pooled AUC below the minimum, or undefined', () => {
    const low = evaluateReleasePolicy(policy, { sites: [site('a', 0.8)], pooled: pooledWith(() => 5, 0.74) });
    expect(low.reasons).toEqual([
      {
        metric: 'pooled_auc',
        value: 0.74,
        threshold: 0.75,
        message: 'pooled AUC 0.74 is below the minimum pooled AUC 0.75',
      },
    ]);
    const none = evaluateReleasePolicy(policy, {
      sites: [site('a', 0.8)],
      pooled: { ...pooledWith(() => 5), auc: null },
    });
    expect(none.reasons[0]).toMatchObject({ metric: 'pooled_auc', value: null });
  });

  it('names the first risk threshold in the range where net benefit does not beat treat-all', () => {
    // fp = 45 at t = 0.18 only: NB = 0.36 − 0.45·18/82 = 0.26122 < treat-all 0.4 − 0.6·18/82 = 0.26829.
    // Elsewhere fp = 5, which beats both across the range (first test); 0.17 comes before and passes.
    const v = evaluateReleasePolicy(policy, {
      sites: [site('a', 0.8)],
      pooled: pooledWith((t) => (t === 0.18 ? 45 : 5)),
    });
    expect(v.reasons).toHaveLength(1);
    const r = v.reasons[0]!;
    expect(r).toMatchObject({ metric: 'pooled_net_benefit', risk_threshold: 0.18 });
    expect(r.value).toBeCloseTo(0.36 - (0.45 * 18) / 82, 12);
    expect(r.threshold).toBeCloseTo(0.4 - (0.6 * 18) / 82, 12);
    expect(r.message).toMatch(
      /^pooled net benefit 0\.2612 at risk threshold 0\.18 does not beat treat-all \(0\.2683\)/,
    );
  });

  it('past the prevalence odds the bar is treat-none (0)', () => {
    // fp = 30 at t = 0.55: NB = 0.36 − 0.3·0.55/0.45 = −0.00667 < 0; treat-all = 0.4 − 0.6·1.2222 < 0.
    const v = evaluateReleasePolicy(policy, {
      sites: [site('a', 0.8)],
      pooled: pooledWith((t) => (t === 0.55 ? 30 : 5)),
    });
    expect(v.reasons[0]).toMatchObject({ risk_threshold: 0.55, threshold: 0 });
    expect(v.reasons[0]!.message).toContain('does not beat treat-none (0)');
  });

  it('fails without a pooled decision curve or without grid thresholds in the range', () => {
    const none = evaluateReleasePolicy(policy, { sites: [site('a', 0.8)], pooled: { auc: 0.8, dca: null } });
    expect(none.reasons[0]!.message).toMatch(/^no pooled decision curve/);
    const sparse = {
      auc: 0.8,
      dca: { thresholds: [0.1, 0.9], net_benefit: [0.3, 0.1], treat_all: [0.3, -5] },
    };
    const v = evaluateReleasePolicy(policy, { sites: [site('a', 0.8)], pooled: sparse });
    expect(v.reasons[0]!.message).toMatch(
      /^no threshold of the pooled decision curve lies in risk thresholds 0\.17–0\.6/,
    );
  });

  it('no evaluated sites fails', () => {
    const v = evaluateReleasePolicy(
      { ...policy, min_sites_passing: 'all' },
      { sites: [], pooled: pooledWith(() => 5) },
    );
    expect(v.pass).toBe(false);
    expect(v.reasons[0]).toMatchObject({ metric: 'sites_passing', value: 0 });
  });
});

describe('validateReleasePolicy', () => {
  it('accepts a valid policy and copies it', () => {
    const r = validateReleasePolicy({ ...policy, dca_range: [0.1706, 0.6052] });
    expect(r).toEqual({ ok: true, policy: { ...policy, dca_range: [0.1706, 0.6052] } });
  });

  it('names every bad field', () => {
    const r = validateReleasePolicy(
      { min_site_auc: 1.2, min_pooled_auc: '0.8', dca_range: [0.6, 0.2], min_sites_passing: 0, extra: 1 },
      { prefix: 'policy' },
    );
    expect(r.ok).toBe(false);
    expect(!r.ok && r.errors).toEqual([
      { field: 'policy.min_site_auc', message: 'must be a number in [0, 1] (got 1.2)' },
      { field: 'policy.min_pooled_auc', message: 'must be a number in [0, 1] (got "0.8")' },
      { field: 'policy.dca_range', message: 'must be [lo, hi] with 0 < lo < hi < 1 (got [0.6,0.2])' },
      { field: 'policy.min_sites_passing', message: 'must be "all" or an integer >= 1 (got 0)' },
      { field: 'policy.extra', message: 'is not a release policy field' },
    ]);
  });

  it("a quorum above the study's sites, a missing field, a non-object", () => {
    const r = validateReleasePolicy({ ...policy, min_sites_passing: 4 }, { siteCount: 3 });
    expect(!r.ok && r.errors[0]).toEqual({
      field: 'release_policy.min_sites_passing',
      message: "must not exceed the study's 3 sites (got 4)",
    });
    const missing = validateReleasePolicy({
      min_site_auc: 0.7,
      min_pooled_auc: 0.7,
      min_sites_passing: 'all',
    });
    expect(!missing.ok && missing.errors).toEqual([
      { field: 'release_policy.dca_range', message: 'must be [lo, hi] with 0 < lo < hi < 1 (got nothing)' },
    ]);
    expect(validateReleasePolicy(null)).toEqual({
      ok: false,
      errors: [{ field: 'release_policy', message: 'must be an object (got null)' }],
    });
  });
});
