import {
  COMBINED_MODEL_TERMS,
  DEFAULT_MIN_CELL_COUNT,
  fitFeatureModelExtension,
  NOMOGRAM_FORMAT,
  PLATT_TERMS,
  recalibrationByClosedTest,
  type Nomogram,
  type RecalibrationChoice,
  type ReleasedLogisticModel,
} from '@fedaln/metrics';
import type { Ack, NomogramFitModel, NomogramStatsAccepted, NomogramStatsRequest } from '@fedaln/protocol';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { crashPoint } from '../config/crash-point';
import { minCellCountOf, validationFractionOf } from '../domain/study-spec';
import type { GlobalModelRepository } from '../models/global-model.repository';
import { writePrivateJson } from '../persistence/private-dir';
import { effectOf, type RoundChange } from '../rounds/round-changes';
import type { SitePresence } from '../rounds/site-presence';
import { fitAcrossSites, fitAcrossSitesBy, type FeatureModelLog, type SiteStatsCall } from './feature-model';
import {
  compareAcrossSites,
  type ModelComparisonRecord,
  type ReportedTestSplit,
} from './model-comparison-phase';
import type { ReleaseCandidate } from './release-candidate';

/** Asks one connected site for a post-training fit's statistics (`nomogram:stats` with a timeout). */
export type NomogramStatsCall = (req: NomogramStatsRequest) => Promise<Ack<NomogramStatsAccepted>>;

/** A released model's estimates (intercept first). */
interface Estimates {
  coefficients: readonly number[];
  std_errors: readonly number[];
  p: readonly number[];
}

const released = (fit: Estimates, terms: readonly string[]): ReleasedLogisticModel => ({
  covariates: [...terms],
  coefficients: [...fit.coefficients],
  std_errors: [...fit.std_errors],
  p: [...fit.p],
});

/**
 * The nomogram of a study's round (issue 15), fitted on the sites' validation cases of that round's
 * global model by federated IRLS (`fitAcrossSitesBy`: only sums over cases leave a site), re-estimating
 * no more than those cases support (@fedaln/metrics model-updating.ts):
 * - the recalibration of the DL score: the score as it is, in the large, or Platt's [logit p], chosen
 *   by closed testing (`recalibrationByClosedTest`);
 * - the combined model [logit p, four features]: the study's four-feature model `featureModel`
 *   extended by the DL logit (`fitFeatureModelExtension`), or, for a study without one, all six terms.
 * Null, with why logged, when no site can answer for the recalibration; `combined` null when none
 * has the features.
 *
 * @example const n = await fitNomogram(studyId, 3, sha, [['site-a', callA]], log, featureModel);
 */
export async function fitNomogram(
  studyId: string,
  round: number,
  modelSha256: string,
  sites: ReadonlyArray<readonly [string, NomogramStatsCall]>,
  log: FeatureModelLog,
  featureModel: readonly number[] | null = null,
): Promise<Nomogram | null> {
  const calls = (model: NomogramFitModel) =>
    sites.map(
      ([id, call]) =>
        [id, ((beta) => call({ study_id: studyId, round, model, beta })) satisfies SiteStatsCall] as const,
    );
  const context = { studyId, round };
  const platt = await fitAcrossSitesBy<RecalibrationChoice>(
    {
      what: 'recalibration',
      k: PLATT_TERMS.length,
      noSite: `no site kept the validation scores of round ${round}`,
    },
    calls('platt'),
    log,
    context,
    async (collect) => {
      const choice = await recalibrationByClosedTest(collect);
      return choice ? { fit: choice } : { noMle: 'one class, separation or a constant score' };
    },
  );
  if (!platt) return null;
  const spec = {
    what: 'combined model',
    k: COMBINED_MODEL_TERMS.length,
    noSite: 'no site has the four feature columns on its validation cases',
  };
  const combined = featureModel
    ? await fitAcrossSitesBy<Estimates>(spec, calls('combined'), log, context, async (collect) => {
        const r = await fitFeatureModelExtension(collect, featureModel);
        if (!r.coefficients || !r.fit.std_errors || !r.fit.p) return { noMle: r.fit.reason };
        const fixed = featureModel.length - 1;
        return {
          fit: {
            coefficients: r.coefficients,
            std_errors: [...r.fit.std_errors, ...Array<number>(fixed).fill(0)],
            p: [...r.fit.p, ...Array<number>(fixed).fill(1)],
          },
        };
      })
    : await fitAcrossSites(spec, calls('combined'), log, context);
  const c = platt.fit;
  return {
    format: NOMOGRAM_FORMAT,
    study_id: studyId,
    round,
    model_sha256: modelSha256,
    platt: released(c, PLATT_TERMS),
    // fitAcrossSites returns only fits with coefficients, standard errors and p.
    combined: combined && released(combined.fit as Estimates, COMBINED_MODEL_TERMS),
    fitted_on: { platt: platt.sites, combined: combined?.sites ?? [] },
    updating: {
      recalibration: { method: c.method, tests: c.tests, alpha: c.alpha },
      combined: combined ? (featureModel ? 'extension' : 'full') : null,
    },
  };
}

/**
 * The post-training artefacts per study and round, `<metrics-dir>/<study>/nomogram-r<round>.json` and
 * `comparison-r<round>.json`, each written to a temporary name and renamed. Coefficients and aggregates
 * of the sites' aggregates only.
 *
 * @example await store.save(n); (await store.find(studyId, 3))?.platt.coefficients;
 */
export class NomogramStore {
  constructor(private readonly root: string) {}

  async find(studyId: string, round: number): Promise<Nomogram | null> {
    const text = await this.text(studyId, round);
    return text === null ? null : (JSON.parse(text) as Nomogram);
  }

  /** The stored text exactly (a release signs its sha256), or null. */
  text(studyId: string, round: number): Promise<string | null> {
    return this.read(studyId, `nomogram-r${round}.json`);
  }

  save(nomogram: Nomogram): Promise<void> {
    return this.write(nomogram.study_id, `nomogram-r${nomogram.round}.json`, nomogram);
  }

  /** The comparison of DL, four-feature and combined models of a round (model-comparison-phase.ts), or null. */
  async comparison(studyId: string, round: number): Promise<ModelComparisonRecord | null> {
    const text = await this.read(studyId, `comparison-r${round}.json`);
    return text === null ? null : (JSON.parse(text) as ModelComparisonRecord);
  }

  saveComparison(record: ModelComparisonRecord): Promise<void> {
    return this.write(record.study_id, `comparison-r${record.round}.json`, record);
  }

  /** Whether the study's post-training phase ran to its end (`post-training.json`), so a restart need not rerun it. */
  async finished(studyId: string): Promise<boolean> {
    return (await this.read(studyId, 'post-training.json')) !== null;
  }

  markFinished(studyId: string, outcome: { round: number | null; nomogram: boolean }): Promise<void> {
    return this.write(studyId, 'post-training.json', { study_id: studyId, ...outcome });
  }

  private read(studyId: string, name: string): Promise<string | null> {
    return fs.promises.readFile(path.join(this.root, studyId, name), 'utf8').catch(() => null);
  }

  private write(studyId: string, name: string, value: unknown): Promise<void> {
    return writePrivateJson(path.join(this.root, studyId), name, value);
  }
}

/**
 * The post-training phase (issue 15): when a study's last round completes, fit the nomogram of its
 * release candidate (the best pooled validation AUC, `RoundEvaluationService.releaseCandidate`) over
 * the connected sites, store it, compare the DL score, the four-feature model and the combined model
 * on the sites' test splits (`compareAcrossSites`) and store that, then tell every connected site of
 * the study that it is finished (`study:finished`; `fedaln-site run --once` waits for it). A nomogram
 * already stored for the candidate's model is kept, not refitted (a release may sign its hash). A study
 * without a validation split (before issue 15) fits nothing and is told at once. Never throws.
 */
export class NomogramFits {
  constructor(
    /** `RoundEvaluationService` in the app: which round to fit for. */
    private readonly evaluation: {
      releaseCandidate(studyId: string): Promise<Pick<ReleaseCandidate, 'round' | 'reason'>>;
      /** The round's accepted test reports, which each site's comparison must agree with. */
      siteEvaluations(
        studyId: string,
        round: number,
      ): Promise<{ siteId: string; report: ReportedTestSplit }[]>;
    },
    private readonly models: Pick<GlobalModelRepository, 'find'>,
    private readonly presence: SitePresence,
    private readonly store: NomogramStore,
    /** The study's four-feature model (`FeatureModelStore`), the comparison's baseline. */
    private readonly featureModels: { find(studyId: string): Promise<{ coefficients: number[] } | null> },
    private readonly log: FeatureModelLog,
  ) {}

  /**
   * A round change: the last round's completion starts the phase in the background (its socket
   * round trips must not hold up the other listeners); `settled` resolves when it is over.
   */
  onChange(change: RoundChange): void {
    if (!effectOf(change, 'roundCompleted') || change.round.number < change.study.spec.rounds) return;
    const { study } = change;
    this.settled = this.finish(
      study.id,
      study.spec.sites,
      validationFractionOf(study.spec) > 0,
      minCellCountOf(study.spec),
    );
  }

  /** The phase started last (tests and shutdown wait on it). */
  settled: Promise<Nomogram | null> = Promise.resolve(null);

  /** Fits and stores the candidate's nomogram and comparison (with a validation split), then tells the sites. */
  async finish(
    studyId: string,
    siteIds: readonly string[],
    withValidation: boolean,
    minCellCount: number = DEFAULT_MIN_CELL_COUNT,
  ): Promise<Nomogram | null> {
    let nomogram: Nomogram | null = null;
    try {
      if (withValidation) {
        crashPoint('nomogram:started');
        nomogram = await this.fit(studyId, siteIds, minCellCount);
      }
    } catch (e) {
      this.log.info({ studyId, reason: (e as Error).message }, 'nomogram skipped');
    }
    const present = this.presence.present(siteIds);
    for (const id of present)
      this.presence
        .get(id)
        ?.studyFinished?.({ study_id: studyId, nomogram: nomogram !== null, round: nomogram?.round ?? null });
    // Over once some site could answer; until then a restart runs it again (PostTrainingResume).
    if (withValidation && present.length > 0)
      await this.store
        .markFinished(studyId, { round: nomogram?.round ?? null, nomogram: nomogram !== null })
        .catch((e: unknown) => this.log.info({ studyId, reason: (e as Error).message }, 'phase not marked'));
    return nomogram;
  }

  private async fit(studyId: string, siteIds: readonly string[], k: number): Promise<Nomogram | null> {
    const candidate = await this.evaluation.releaseCandidate(studyId);
    const model = await this.models.find(studyId, candidate.round);
    if (!model) throw new Error(`round ${candidate.round} has no global model`);
    const present = this.presence.present(siteIds);
    const stored = await this.store.find(studyId, candidate.round);
    let nomogram = stored?.model_sha256 === model.sha256 ? stored : null;
    if (!nomogram) {
      const calls = present.flatMap((id) => {
        const call = this.presence.get(id)?.nomogramStats;
        return call ? [[id, call] as const] : [];
      });
      const fm = await this.featureModels.find(studyId);
      nomogram = await fitNomogram(
        studyId,
        candidate.round,
        model.sha256,
        calls,
        this.log,
        fm?.coefficients ?? null,
      );
      if (!nomogram) return null;
      await this.store.save(nomogram);
      this.log.info(
        {
          studyId,
          round: nomogram.round,
          platt: nomogram.platt.coefficients,
          recalibration: nomogram.updating?.recalibration.method ?? null,
          combined: nomogram.combined?.coefficients ?? null,
        },
        `nomogram fitted for round ${nomogram.round} (${candidate.reason})`,
      );
      crashPoint('nomogram:stored');
    }
    // The nomogram stands whatever becomes of the comparison.
    await this.compare(nomogram, present, k).catch((e: unknown) =>
      this.log.info({ studyId, reason: (e as Error).message }, 'model comparison skipped'),
    );
    return nomogram;
  }

  /** The comparison of the nomogram's round, unless one is stored or there is nothing to compare. */
  private async compare(nomogram: Nomogram, present: readonly string[], k: number): Promise<void> {
    const { study_id: studyId, round } = nomogram;
    const fm = await this.featureModels.find(studyId);
    if (!nomogram.combined || !fm) {
      this.log.info(
        { studyId, round },
        `no model comparison: ${!fm ? 'the study has no four-feature model' : 'no combined model was fitted'}`,
      );
      return;
    }
    if ((await this.store.comparison(studyId, round))?.model_sha256 === nomogram.model_sha256) return;
    const calls = present.flatMap((id) => {
      const call = this.presence.get(id)?.nomogramCompare;
      return call ? [[id, call] as const] : [];
    });
    const record = await compareAcrossSites(
      {
        study_id: studyId,
        round,
        feature_model: fm.coefficients,
        combined: nomogram.combined.coefficients,
        min_cell_count: k,
      },
      nomogram.model_sha256,
      calls,
      new Map((await this.evaluation.siteEvaluations(studyId, round)).map((s) => [s.siteId, s.report])),
      this.log,
    );
    if (record.sites.length === 0) {
      this.log.info({ studyId, round, left_out: record.left_out }, 'no model comparison: no site answered');
      return;
    }
    await this.store.saveComparison(record);
    const d = record.pooled?.differences;
    this.log.info(
      {
        studyId,
        round,
        sites: record.sites.map((s) => s.site_id),
        differences: d?.map((x) => ({ pair: `${x.a}-${x.b}`, difference: x.difference, p: x.p })) ?? null,
      },
      `model comparison for round ${round} over ${record.pooled?.sites ?? 0} site(s)`,
    );
  }
}
