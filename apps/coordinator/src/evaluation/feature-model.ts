import {
  FEATURE_MODEL_TERMS,
  fitFederatedLogistic,
  type FederatedLogisticFit,
  type LogisticSufficientStats,
  type SufficientStatsSource,
} from '@fedaln/metrics';
import type { Ack, FeatureModelPayload, FeatureStatsAccepted, FeatureStatsRequest } from '@fedaln/protocol';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkFeatureStats, type CheckedFeatureStats } from './feature-stats-answer';
import { writePrivateJson } from '../persistence/private-dir';
import { siteDataDisagreement, type SiteDataDisagreement } from './site-data-disagreement';

/** Asks one connected site for its statistics (the gateway's `features:stats` emit with a timeout). */
export type FeatureStatsCall = (req: FeatureStatsRequest) => Promise<Ack<FeatureStatsAccepted>>;

export interface FeatureModelLog {
  info(obj: object, msg: string): void;
}

/** Asks one site for its statistics at β (a socket request with a timeout). */
export type SiteStatsCall = (beta: number[]) => Promise<Ack<FeatureStatsAccepted>>;

/** What a federated fit over sites gives: the fit, and the sites whose statistics went into it. */
export interface SitesFit {
  readonly fit: FederatedLogisticFit;
  readonly sites: string[];
  /** Each site's statistics at the fitted β̂ (IRLS's last request is at β̂), for the site score tests. */
  readonly siteStats: ReadonlyArray<readonly [string, LogisticSufficientStats]>;
}

/**
 * Fits a k-coefficient logistic model across `sites` by federated IRLS (`fitFederatedLogistic`) with
 * {@link fitAcrossSitesBy}. Returns null, with the reason logged, when no site takes part, the fit
 * fails or it has no MLE. Never throws.
 *
 * @example
 * const r = await fitAcrossSites({ what: 'four-feature model', k: 5, noSite: 'no feature columns' },
 *   [['site-a', callA]], log, { studyId });
 */
export async function fitAcrossSites(
  spec: { what: string; k: number; noSite: string },
  sites: ReadonlyArray<readonly [string, SiteStatsCall]>,
  log: FeatureModelLog,
  context: Readonly<Record<string, unknown>>,
): Promise<SitesFit | null> {
  const r = await fitAcrossSitesBy<FederatedLogisticFit>(spec, sites, log, context, async (collect) => {
    const fit = await fitFederatedLogistic(collect, { k: spec.k });
    return fit.coefficients && fit.std_errors && fit.p ? { fit } : { noMle: fit.reason };
  });
  return r && { fit: r.fit, sites: r.sites, siteStats: r.siteStats };
}

/**
 * Runs `fitter` (any fit driven by sites' statistics of a k-coefficient design: `fitFederatedLogistic`,
 * the closed-test recalibration, a restricted fit) across `sites`: β = 0 goes to every site first, and
 * only the sites that answer with statistics that pass `checkFeatureStats` (sized k, finite) take part
 * in the later requests; a site answering nonsense is left out with the reason logged (`what` names the
 * model). A site failing mid-fit abandons the fit (its sums would no longer be the pooled ones). Returns
 * null, with the reason logged, when no site takes part, the fit fails or `fitter` finds no MLE. Never
 * throws.
 *
 * @example
 * const r = await fitAcrossSitesBy(spec, calls, log, { studyId }, async (collect) => {
 *   const c = await recalibrationByClosedTest(collect);
 *   return c ? { fit: c } : { noMle: null };
 * });
 */
export async function fitAcrossSitesBy<T>(
  { what, k, noSite }: { what: string; k: number; noSite: string },
  sites: ReadonlyArray<readonly [string, SiteStatsCall]>,
  log: FeatureModelLog,
  context: Readonly<Record<string, unknown>>,
  fitter: (collect: SufficientStatsSource) => Promise<{ fit: T } | { noMle: string | null }>,
): Promise<{ fit: T; sites: string[]; siteStats: SitesFit['siteStats'] } | null> {
  let taking = sites;
  let first = true;
  let last: ReadonlyArray<readonly [string, LogisticSufficientStats]> = [];
  try {
    const result = await fitter(async (beta) => {
      const answers = await Promise.all(
        taking.map(async ([siteId, call]) => {
          const ack = await call(Array.from(beta)).catch((e: unknown) => ({
            ok: false as const,
            code: 'internal' as const,
            message: (e as Error).message,
          }));
          const checked: CheckedFeatureStats =
            !ack.ok || !ack.stats
              ? {
                  ok: false,
                  reason: ack.ok ? String(ack.reason ?? 'no statistics') : `${ack.code}: ${ack.message}`,
                }
              : checkFeatureStats(ack.stats, k);
          if (!checked.ok) {
            if (!first) throw new Error(`site ${siteId} stopped answering mid-fit (${checked.reason})`);
            log.info({ ...context, siteId, reason: checked.reason }, `site left out of the ${what}`);
            return null;
          }
          return [siteId, checked.stats] as const;
        }),
      );
      const usable = answers.filter((a) => a !== null);
      if (first) {
        const ids = new Set(usable.map(([id]) => id));
        taking = taking.filter(([id]) => ids.has(id));
        first = false;
      }
      if (usable.length === 0) throw new Error(noSite);
      last = usable;
      return usable.map(([, s]) => s);
    });
    if ('noMle' in result) {
      log.info({ ...context, reason: result.noMle }, `${what} skipped: no maximum-likelihood estimate`);
      return null;
    }
    return { fit: result.fit, sites: taking.map(([id]) => id), siteStats: last };
  } catch (e) {
    log.info({ ...context, reason: (e as Error).message }, `${what} skipped`);
    return null;
  }
}

/**
 * Fits the study's four-feature logistic model (FEATURE_MODEL_TERMS) across `sites` by federated
 * IRLS over their train cases (`fitAcrossSites`). Returns null, with the reason logged, when no site
 * has the features or the fit has no MLE. Never throws: the round goes on without the baseline.
 *
 * @example const fm = await fitStudyFeatureModel(studyId, [['site-a', callA]], log);
 */
export async function fitStudyFeatureModel(
  studyId: string,
  sites: ReadonlyArray<readonly [string, FeatureStatsCall]>,
  log: FeatureModelLog,
): Promise<FeatureModelPayload | null> {
  return (await fitStudyFeatures(studyId, sites, log))?.model ?? null;
}

/**
 * `fitStudyFeatureModel` with each site's data-disagreement test at the fit (`siteDataDisagreement`).
 *
 * @example (await fitStudyFeatures(studyId, calls, log))?.disagreement.filter((d) => d.flagged);
 */
export async function fitStudyFeatures(
  studyId: string,
  sites: ReadonlyArray<readonly [string, FeatureStatsCall]>,
  log: FeatureModelLog,
): Promise<{ model: FeatureModelPayload; disagreement: SiteDataDisagreement[] } | null> {
  const r = await fitAcrossSites(
    { what: 'four-feature model', k: FEATURE_MODEL_TERMS.length, noSite: 'no site has the feature columns' },
    sites.map(([id, call]) => [id, (beta: number[]) => call({ study_id: studyId, beta })] as const),
    log,
    { studyId },
  );
  if (!r) return null;
  return {
    model: {
      covariates: [...FEATURE_MODEL_TERMS],
      coefficients: r.fit.coefficients!,
      std_errors: r.fit.std_errors!,
      p: r.fit.p!,
      sites: r.sites,
    },
    disagreement: siteDataDisagreement(r.siteStats),
  };
}

/**
 * The fitted model per study, `<metrics-dir>/<study>/feature-model.json` (beside the round folders
 * of FileMetricsReportStore), written to a temporary name and renamed. Coefficients and their
 * standard errors only: aggregates of aggregates.
 *
 * @example await store.save(studyId, fm); (await store.find(studyId))?.coefficients;
 */
export class FeatureModelStore {
  constructor(private readonly root: string) {}

  find(studyId: string): Promise<FeatureModelPayload | null> {
    return this.read<FeatureModelPayload>(studyId, 'feature-model.json');
  }

  save(studyId: string, model: FeatureModelPayload): Promise<void> {
    return this.write(studyId, 'feature-model.json', model);
  }

  /** The sites' data-disagreement tests at the fit (`site-disagreement.json`); null before the fit. */
  findDisagreement(studyId: string): Promise<SiteDataDisagreement[] | null> {
    return this.read<SiteDataDisagreement[]>(studyId, 'site-disagreement.json');
  }

  saveDisagreement(studyId: string, tests: readonly SiteDataDisagreement[]): Promise<void> {
    return this.write(studyId, 'site-disagreement.json', tests);
  }

  private async read<T>(studyId: string, name: string): Promise<T | null> {
    const text = await fs.promises.readFile(path.join(this.root, studyId, name), 'utf8').catch(() => null);
    return text === null ? null : (JSON.parse(text) as T);
  }

  private write(studyId: string, name: string, value: unknown): Promise<void> {
    return writePrivateJson(path.join(this.root, studyId), name, value);
  }
}
