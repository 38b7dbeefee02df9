import {
  pooledModelComparison,
  siteModelComparisonProblem,
  type ModelComparison,
  type SiteModelComparison,
} from '@fedaln/metrics';
import type { Ack, NomogramCompareAccepted, NomogramCompareRequest } from '@fedaln/protocol';
import type { FeatureModelLog } from './feature-model';

/** Asks one connected site for its comparison (`nomogram:compare` with a timeout). */
export type NomogramCompareCall = (req: NomogramCompareRequest) => Promise<Ack<NomogramCompareAccepted>>;

/** How the pooled comparison is made, as the card and `comparison-r<round>.json` state it. */
export const COMPARISON_METHOD =
  'paired DeLong (DeLong et al. 1988) on each site’s test split; pooled as a fixed-effect combination of the sites’ estimates with design weights n_pos·n_neg (the AUC over within-site pairs), variance Σ (w/W)² × the site’s DeLong variance';

/** The comparison of DL, four-feature and combined models of a study's nomogram round (issue 15). */
export interface ModelComparisonRecord {
  study_id: string;
  round: number;
  /** The weights sha256 of the round's global model (the nomogram's `model_sha256`). */
  model_sha256: string;
  method: typeof COMPARISON_METHOD;
  /** The sites' released figures (withheld ones have `auc: null`), for the lead. */
  sites: { site_id: string; comparison: SiteModelComparison }[];
  /** Sites that could not take part or whose answer was refused, with why. */
  left_out: { site_id: string; reason: string }[];
  /** Over the sites whose figures were released; null when none was. */
  pooled: ModelComparison | null;
}

type SiteAnswer = { siteId: string; comparison: SiteModelComparison } | { siteId: string; reason: string };

/** What a site's test report of the round says, which its comparison must agree with. */
export interface ReportedTestSplit {
  n: number;
  n_pos: number;
  auc: number | null;
}

/** DL AUCs of one test split from the same float32 scores agree to rounding (the e2e sees 1e-12). */
const SAME_AUC = 1e-9;

/** Why a comparison contradicts the site's own test report of the round, or null. */
function reportProblem(
  c: SiteModelComparison,
  r: ReportedTestSplit | undefined,
  round: number,
): string | null {
  if (!r) return `the site has no accepted test report of round ${round} to compare against`;
  if (c.n !== r.n || c.n_pos !== r.n_pos)
    return `comparison on n = ${c.n} (${c.n_pos} positive), but the site's round-${round} test report has n = ${r.n} (${r.n_pos} positive): not the same test split`;
  const dl = c.auc?.[0];
  if (dl !== undefined && r.auc !== null && Math.abs(dl - r.auc) > SAME_AUC)
    return `DL AUC ${dl} in the comparison, but ${r.auc} in the site's round-${round} test report: not the same model or cases`;
  return null;
}

/**
 * Asks each site for its comparison on its test split, checks every answer (`siteModelComparisonProblem`
 * with the study's k: shape, the privacy rule, a covariance matrix; and against the site's own test
 * report of the round: same n and n_pos, the same DL AUC), and pools the accepted ones
 * (`pooledModelComparison`). A site that cannot answer, or answers something refused, is left out with
 * the reason kept and logged. Never throws.
 *
 * @example const rec = await compareAcrossSites(req, sha, calls, reportsBySite, log);
 */
export async function compareAcrossSites(
  req: NomogramCompareRequest,
  modelSha256: string,
  sites: ReadonlyArray<readonly [string, NomogramCompareCall]>,
  reports: ReadonlyMap<string, ReportedTestSplit>,
  log: FeatureModelLog,
): Promise<ModelComparisonRecord> {
  const answers = await Promise.all(
    sites.map(async ([siteId, call]): Promise<SiteAnswer> => {
      const ack = await call(req).catch((e: unknown): Ack<NomogramCompareAccepted> => ({
        ok: false,
        code: 'internal',
        message: (e as Error).message,
      }));
      // A hostile or broken site can ack anything: nothing below may throw on it.
      if (typeof ack !== 'object' || ack === null)
        return { siteId, reason: `refused: the answer is ${JSON.stringify(ack)}; expected an object` };
      if (ack.ok !== true) return { siteId, reason: `${String(ack.code)}: ${String(ack.message)}` };
      if (!ack.comparison) return { siteId, reason: String(ack.reason ?? 'no comparison') };
      const problem =
        typeof ack.comparison === 'object'
          ? (siteModelComparisonProblem(ack.comparison, req.min_cell_count) ??
            reportProblem(ack.comparison, reports.get(siteId), req.round))
          : `comparison is ${JSON.stringify(ack.comparison)}; expected an object`;
      if (problem) return { siteId, reason: `refused: ${problem}` };
      const { n, n_pos, auc, covariance } = ack.comparison;
      return { siteId, comparison: { n, n_pos, auc, covariance } };
    }),
  );
  const accepted: ModelComparisonRecord['sites'] = [];
  const leftOut: ModelComparisonRecord['left_out'] = [];
  for (const a of answers) {
    if ('comparison' in a) accepted.push({ site_id: a.siteId, comparison: a.comparison });
    else {
      leftOut.push({ site_id: a.siteId, reason: a.reason });
      log.info(
        { studyId: req.study_id, round: req.round, siteId: a.siteId, reason: a.reason },
        'site left out of the model comparison',
      );
    }
  }
  return {
    study_id: req.study_id,
    round: req.round,
    model_sha256: modelSha256,
    method: COMPARISON_METHOD,
    sites: accepted,
    left_out: leftOut,
    pooled: pooledModelComparison(accepted.map((s) => s.comparison)),
  };
}
