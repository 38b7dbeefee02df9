import { FEATURE_MODEL_TERMS, fitFederatedLogistic, type FederatedLogisticFit } from '@fedaln/metrics';
import type { Ack, FeatureModelPayload, FeatureStatsAccepted, FeatureStatsRequest } from '@fedaln/protocol';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkFeatureStats, type CheckedFeatureStats } from './feature-stats-answer';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from '../persistence/private-dir';

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
}

/**
 * Fits a k-coefficient logistic model across `sites` by federated IRLS (`fitFederatedLogistic`):
 * β = 0 goes to every site first, and only the sites that answer with statistics that pass
 * `checkFeatureStats` (sized k, finite) take part in the later steps; a site answering nonsense is
 * left out with the reason logged (`what` names the model). A site failing mid-fit abandons the fit
 * (its sums would no longer be the pooled ones). Returns null, with the reason logged, when no site
 * takes part, the fit fails or it has no MLE. Never throws.
 *
 * @example
 * const r = await fitAcrossSites({ what: 'Platt recalibration', k: 2, noSite: 'no validation scores' },
 *   [['site-a', callA]], log, { studyId });
 */
export async function fitAcrossSites(
  { what, k, noSite }: { what: string; k: number; noSite: string },
  sites: ReadonlyArray<readonly [string, SiteStatsCall]>,
  log: FeatureModelLog,
  context: Readonly<Record<string, unknown>>,
): Promise<SitesFit | null> {
  let taking = sites;
  let first = true;
  try {
    const fit = await fitFederatedLogistic(
      async (beta) => {
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
        return usable.map(([, s]) => s);
      },
      { k },
    );
    if (!fit.coefficients || !fit.std_errors || !fit.p) {
      log.info({ ...context, reason: fit.reason }, `${what} skipped: no maximum-likelihood estimate`);
      return null;
    }
    return { fit, sites: taking.map(([id]) => id) };
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
  const r = await fitAcrossSites(
    { what: 'four-feature model', k: FEATURE_MODEL_TERMS.length, noSite: 'no site has the feature columns' },
    sites.map(([id, call]) => [id, (beta: number[]) => call({ study_id: studyId, beta })] as const),
    log,
    { studyId },
  );
  if (!r) return null;
  return {
    covariates: [...FEATURE_MODEL_TERMS],
    coefficients: r.fit.coefficients!,
    std_errors: r.fit.std_errors!,
    p: r.fit.p!,
    sites: r.sites,
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

  async find(studyId: string): Promise<FeatureModelPayload | null> {
    const text = await fs.promises.readFile(this.file(studyId), 'utf8').catch(() => null);
    return text === null ? null : (JSON.parse(text) as FeatureModelPayload);
  }

  async save(studyId: string, model: FeatureModelPayload): Promise<void> {
    const dir = path.join(this.root, studyId);
    await fs.promises.mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
    const tmp = path.join(dir, `.feature-model.${randomBytes(6).toString('hex')}.tmp`);
    await fs.promises.writeFile(tmp, JSON.stringify(model), { mode: PRIVATE_FILE_MODE });
    await fs.promises.rename(tmp, this.file(studyId));
  }

  private file(studyId: string): string {
    return path.join(this.root, studyId, 'feature-model.json');
  }
}
