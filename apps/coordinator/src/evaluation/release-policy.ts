/**
 * The release gate of DESIGN.md "Evaluation and release": after a round's evaluation, a verdict
 * with the reasons it failed (the site, the metric, its value and the policy threshold it missed).
 * Pure: no Nest, no persistence.
 */
import type { SiteMetricsReport } from '@fedaln/protocol';
import type { FieldError, ReleasePolicySpec } from '../domain/study-spec';

/** Grid thresholds within this of the range ends count as inside (0.1706 vs a float grid). */
const RANGE_SLACK = 1e-12;
/** Net benefit must beat max(treat-all, treat-none) by more than this, as `decisionCurve` counts a win. */
const BEATS_MARGIN = 1e-12;

export interface PolicySite {
  readonly site_id: string;
  readonly name: string;
  readonly report: Pick<SiteMetricsReport, 'n' | 'n_pos' | 'auc'>;
}

/** The pooled evaluation: binned AUC and the decision curve of the summed threshold counts. */
export interface PolicyPooled {
  readonly auc: number | null;
  readonly dca: {
    readonly thresholds: readonly number[];
    readonly net_benefit: readonly number[];
    readonly treat_all: readonly number[];
  } | null;
}

export type PolicyMetric = 'site_auc' | 'pooled_auc' | 'pooled_net_benefit' | 'sites_passing';

export interface PolicyReason {
  readonly site?: { readonly site_id: string; readonly name: string };
  readonly metric: PolicyMetric;
  /** The measured value (null when undefined, e.g. the AUC of a one-class test split). */
  readonly value: number | null;
  /** The bar it had to reach: the policy's minimum, or max(treat-all, 0) for net benefit. */
  readonly threshold: number;
  /** For `pooled_net_benefit`: the risk threshold where the model did not beat both strategies. */
  readonly risk_threshold?: number;
  readonly message: string;
}

export interface SiteVerdict {
  readonly site_id: string;
  readonly name: string;
  readonly auc: number | null;
  readonly pass: boolean;
}

export interface ReleaseVerdict {
  readonly pass: boolean;
  /** Every failed criterion; empty exactly when `pass`. */
  readonly reasons: readonly PolicyReason[];
  readonly sites: readonly SiteVerdict[];
  readonly sites_passing: number;
  readonly sites_required: number;
}

const fmt = (x: number): string => String(Number(x.toPrecision(4)));

/**
 * The verdict of `policy` on a round's evaluation:
 * - each site passes when its AUC ≥ min_site_auc (an undefined AUC fails); at least
 *   `min_sites_passing` sites ("all" = every site) must pass, else each failing site and the count
 *   are reasons;
 * - the pooled AUC must be ≥ min_pooled_auc;
 * - at every grid threshold t in dca_range [lo, hi] the pooled net benefit must exceed
 *   max(treat-all, treat-none = 0) (Vickers & Elkin 2006); the first failing t is the reason.
 *
 * @example
 * evaluateReleasePolicy(
 *   { min_site_auc: 0.7, min_pooled_auc: 0.75, dca_range: [0.17, 0.6], min_sites_passing: 'all' },
 *   { sites: [{ site_id: 's1', name: 'Site 1', report: { n: 60, n_pos: 24, auc: 0.66 } }], pooled },
 * ).reasons[0].message; // 'Site 1: AUC 0.66 is below the minimum site AUC 0.7'
 */
export function evaluateReleasePolicy(
  policy: ReleasePolicySpec,
  input: { readonly sites: readonly PolicySite[]; readonly pooled: PolicyPooled },
): ReleaseVerdict {
  const reasons: PolicyReason[] = [];
  const siteReasons: PolicyReason[] = [];
  const sites = input.sites.map((s): SiteVerdict => {
    const auc = s.report.auc;
    const pass = auc !== null && auc >= policy.min_site_auc;
    if (!pass) {
      siteReasons.push({
        site: { site_id: s.site_id, name: s.name },
        metric: 'site_auc',
        value: auc,
        threshold: policy.min_site_auc,
        message:
          auc === null
            ? `${s.name}: AUC is undefined (${s.report.n_pos} of ${s.report.n} test cases positive); the minimum site AUC is ${policy.min_site_auc}`
            : `${s.name}: AUC ${fmt(auc)} is below the minimum site AUC ${policy.min_site_auc}`,
      });
    }
    return { site_id: s.site_id, name: s.name, auc, pass };
  });
  const passing = sites.filter((s) => s.pass).length;
  const required = policy.min_sites_passing === 'all' ? sites.length : policy.min_sites_passing;
  if (passing < required || sites.length === 0) {
    reasons.push(...siteReasons, {
      metric: 'sites_passing',
      value: passing,
      threshold: required,
      message: `${passing} of ${sites.length} sites reach the minimum site AUC ${policy.min_site_auc}; the policy needs ${
        policy.min_sites_passing === 'all' ? 'all of them' : required
      }${sites.length === 0 ? ' and at least one evaluated site' : ''}`,
    });
  }

  const pooledAuc = input.pooled.auc;
  if (pooledAuc === null || pooledAuc < policy.min_pooled_auc) {
    reasons.push({
      metric: 'pooled_auc',
      value: pooledAuc,
      threshold: policy.min_pooled_auc,
      message:
        pooledAuc === null
          ? `pooled AUC is undefined (a class is missing); the minimum pooled AUC is ${policy.min_pooled_auc}`
          : `pooled AUC ${fmt(pooledAuc)} is below the minimum pooled AUC ${policy.min_pooled_auc}`,
    });
  }

  const dcaReason = netBenefitReason(policy.dca_range, input.pooled.dca);
  if (dcaReason) reasons.push(dcaReason);
  return { pass: reasons.length === 0, reasons, sites, sites_passing: passing, sites_required: required };
}

function netBenefitReason(range: readonly [number, number], dca: PolicyPooled['dca']): PolicyReason | null {
  const [lo, hi] = range;
  const where = `risk thresholds ${lo}–${hi}`;
  const missing = (why: string): PolicyReason => ({
    metric: 'pooled_net_benefit',
    value: null,
    threshold: 0,
    message: `${why}; the policy needs net benefit above treat-all and treat-none at ${where}`,
  });
  if (dca === null) return missing('no pooled decision curve');
  let inside = 0;
  for (let j = 0; j < dca.thresholds.length; j++) {
    const t = dca.thresholds[j]!;
    if (t < lo - RANGE_SLACK || t > hi + RANGE_SLACK) continue;
    inside++;
    const nb = dca.net_benefit[j]!;
    const all = dca.treat_all[j]!;
    const bar = Math.max(all, 0);
    if (!(nb > bar + BEATS_MARGIN)) {
      const beaten = all >= 0 ? `treat-all (${fmt(all)})` : 'treat-none (0)';
      return {
        metric: 'pooled_net_benefit',
        value: nb,
        threshold: bar,
        risk_threshold: t,
        message: `pooled net benefit ${fmt(nb)} at risk threshold ${t} does not beat ${beaten}; the policy needs the model above both at ${where}`,
      };
    }
  }
  return inside === 0 ? missing(`no threshold of the pooled decision curve lies in ${where}`) : null;
}

/**
 * Checks a release policy object field by field (the same rules as the study DTO), naming each bad
 * field by its dotted path under `prefix`. `siteCount`, when given, bounds a numeric quorum.
 *
 * @example
 * validateReleasePolicy({ min_site_auc: 1.2 }).errors[0];
 * // { field: 'release_policy.min_site_auc', message: 'must be a number in [0, 1] (got 1.2)' }
 */
export function validateReleasePolicy(
  value: unknown,
  options: { prefix?: string; siteCount?: number } = {},
): { ok: true; policy: ReleasePolicySpec } | { ok: false; errors: FieldError[] } {
  const prefix = options.prefix ?? 'release_policy';
  const at = (key: string): string => `${prefix}.${key}`;
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return {
      ok: false,
      errors: [{ field: prefix, message: `must be an object (got ${JSON.stringify(value)})` }],
    };
  const v = value as Record<string, unknown>;
  const errors: FieldError[] = [];
  const got = (key: string): string => `(got ${JSON.stringify(v[key]) ?? 'nothing'})`;
  for (const key of ['min_site_auc', 'min_pooled_auc']) {
    const x = v[key];
    if (typeof x !== 'number' || !(x >= 0 && x <= 1))
      errors.push({ field: at(key), message: `must be a number in [0, 1] ${got(key)}` });
  }
  const r = v['dca_range'];
  const rangeOk =
    Array.isArray(r) &&
    r.length === 2 &&
    r.every((x) => typeof x === 'number' && Number.isFinite(x)) &&
    0 < (r[0] as number) &&
    (r[0] as number) < (r[1] as number) &&
    (r[1] as number) < 1;
  if (!rangeOk)
    errors.push({
      field: at('dca_range'),
      message: `must be [lo, hi] with 0 < lo < hi < 1 ${got('dca_range')}`,
    });
  const q = v['min_sites_passing'];
  if (q !== 'all' && !(typeof q === 'number' && Number.isInteger(q) && q >= 1))
    errors.push({
      field: at('min_sites_passing'),
      message: `must be "all" or an integer >= 1 ${got('min_sites_passing')}`,
    });
  else if (typeof q === 'number' && options.siteCount !== undefined && q > options.siteCount)
    errors.push({
      field: at('min_sites_passing'),
      message: `must not exceed the study's ${options.siteCount} sites ${got('min_sites_passing')}`,
    });
  const known = new Set(['min_site_auc', 'min_pooled_auc', 'dca_range', 'min_sites_passing']);
  for (const key of Object.keys(v))
    if (!known.has(key)) errors.push({ field: at(key), message: 'is not a release policy field' });
  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    policy: {
      min_site_auc: v['min_site_auc'] as number,
      min_pooled_auc: v['min_pooled_auc'] as number,
      dca_range: [(r as number[])[0]!, (r as number[])[1]!],
      min_sites_passing: q as 'all' | number,
    },
  };
}
