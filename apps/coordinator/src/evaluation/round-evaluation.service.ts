import type { SiteMetricsReport } from '@fedaln/protocol';
import type { Transactions } from '../domain/transactions';
import { DomainError } from '../domain/domain-error';
import type { Study, UpdateScreening } from '../domain/records';
import { minCellCountOf } from '../domain/study-spec';
import type { MetricsReportStore } from './metrics-report-store';
import { evaluateReleasePolicy, type ReleaseVerdict } from './release-policy';
import { effectOf, type RoundChange } from '../rounds/round-changes';
import type { ParticipantRepository } from '../rounds/participant.repository';
import type { RoundRepository } from '../rounds/round.repository';
import type { SiteRepository } from '../sites/site.repository';
import type { StudyRepository } from '../studies/study.repository';
import { policyPooled, poolReports, type PooledEvaluation } from './pooled-evaluation';
import type { RecordedVerdict, VerdictRepository } from '../releases/release.repository';
import { siteReportProblem } from './site-report-check';
import { selectReleaseCandidate, type ReleaseCandidate } from './release-candidate';
import type { SiteDataDisagreement } from './site-data-disagreement';

export interface SiteEvaluation {
  readonly siteId: string;
  readonly name: string;
  readonly modelVersion: number;
  readonly receivedAt: string;
  readonly report: SiteMetricsReport;
  /** The report on the site's validation cases (issue 15), or null (none sent, or it fails the checks). */
  readonly validation: SiteMetricsReport | null;
}

/** A stored report that fails the study's checks on read: left out of pooling and the verdict. */
export interface RefusedReport {
  readonly siteId: string;
  readonly name: string;
  readonly receivedAt: string;
  readonly reason: string;
}

export interface RoundEvaluation {
  readonly studyId: string;
  readonly round: number;
  readonly roundState: string;
  readonly sites: readonly SiteEvaluation[];
  /** Stored reports that fail the checks (written before them, or edited on disk): shown, not pooled. */
  readonly refused: readonly RefusedReport[];
  readonly pooled: PooledEvaluation | null;
  /** The sites' validation reports pooled (issue 15: selects the release candidate); null when none. */
  readonly pooledValidation: PooledEvaluation | null;
  /** The recorded verdict; for a round still evaluating, null. */
  readonly verdict: RecordedVerdict | null;
  /** What screening decided for each site's update (issue 13); empty before aggregation or without screening. */
  readonly screening: readonly { readonly siteId: string; readonly screening: UpdateScreening }[];
  /**
   * The study's site data-disagreement tests (issue 13, `siteDataDisagreement`), from the fit of its
   * feature model; the same for every round, empty before the fit or without feature columns.
   */
  readonly dataDisagreement: readonly SiteDataDisagreement[];
}

/**
 * The validation reports of a round's sites pooled like the test reports (`poolReports`), or null when
 * no site sent one. @example poolValidation(sites)?.auc
 */
export function poolValidation(sites: readonly SiteEvaluation[]): PooledEvaluation | null {
  return poolReports(sites.flatMap((s) => (s.validation ? [s.validation] : [])));
}

/**
 * A round's evaluation as the coordinator holds it — each site's stored report, the pooled results
 * computed from their counts and histograms — and its release-policy verdict, which is recorded
 * (with an audit entry) when the round completes.
 */
export class RoundEvaluationService {
  constructor(
    private readonly studies: StudyRepository,
    private readonly rounds: RoundRepository,
    private readonly participants: ParticipantRepository,
    private readonly sites: SiteRepository,
    private readonly reports: MetricsReportStore,
    private readonly verdicts_: VerdictRepository,
    private readonly transactions: Transactions,
    private readonly log: { error(obj: object, msg: string): void } = { error: () => undefined },
    private readonly disagreement: {
      findDisagreement(studyId: string): Promise<readonly SiteDataDisagreement[] | null>;
    } | null = null,
  ) {}

  /**
   * A round change: a completed round's verdict is recorded. A failure is logged, not thrown: the
   * verdict is recomputed when the round's metrics are read.
   */
  async onChange(change: RoundChange): Promise<void> {
    if (!effectOf(change, 'roundCompleted')) return;
    await this.roundCompleted(change.study.id, change.round.number).catch((e: unknown) =>
      this.log.error({ err: e, roundId: change.round.id }, 'recording the release verdict failed'),
    );
  }

  /** @example (await evaluation.get(studyId, 2)).pooled?.decision_curve.net_benefit */
  async get(studyId: string, round: number): Promise<RoundEvaluation> {
    const study = await this.requireStudy(studyId);
    const found = await this.rounds.find(studyId, round);
    if (!found) throw new DomainError('ROUND_NOT_FOUND', `study ${studyId} has no round ${round}`);
    const { sites, refused } = await this.readReports(study, round);
    let verdict = await this.verdicts_.find(studyId, round);
    // A completed round whose verdict was not recorded (a crash in between) gets it now.
    if (!verdict && found.state === 'completed') verdict = await this.record(study, round, sites);
    return {
      studyId,
      round,
      roundState: found.state,
      sites,
      refused,
      pooled: poolReports(sites.map((s) => s.report)),
      pooledValidation: poolValidation(sites),
      verdict,
      screening: (await this.participants.list(studyId, round)).flatMap((p) =>
        p.screening ? [{ siteId: p.siteId, screening: p.screening }] : [],
      ),
      dataDisagreement: await this.dataDisagreement(studyId),
    };
  }

  /**
   * The study's stored data-disagreement tests; an unreadable file (edited on disk) is logged and
   * shown as none, never failing the round's metrics.
   */
  private async dataDisagreement(studyId: string): Promise<readonly SiteDataDisagreement[]> {
    try {
      return (await this.disagreement?.findDisagreement(studyId)) ?? [];
    } catch (e) {
      this.log.error({ err: e, studyId }, 'the stored data-disagreement tests are unreadable; none shown');
      return [];
    }
  }

  /** Records the verdict of a completed round (on a round change, see onChange). */
  async roundCompleted(studyId: string, round: number): Promise<RecordedVerdict> {
    const study = await this.requireStudy(studyId);
    return this.record(study, round, (await this.readReports(study, round)).sites);
  }

  /**
   * The round to release (issue 15): among the completed rounds, the best pooled validation AUC
   * (`selectReleaseCandidate`), else the last completed round; with every round's figures and why.
   *
   * @throws DomainError STUDY_NOT_FOUND, or ROUND_NOT_FOUND while no round has completed.
   * @example (await evaluation.releaseCandidate(studyId)).round
   */
  async releaseCandidate(studyId: string): Promise<ReleaseCandidate> {
    const study = await this.requireStudy(studyId);
    const completed = (await this.rounds.list(studyId)).filter((r) => r.state === 'completed');
    const rounds = [];
    for (const r of completed) {
      const { sites } = await this.readReports(study, r.number);
      const pooled = poolValidation(sites);
      rounds.push({
        round: r.number,
        pooled_validation_auc: pooled?.auc ?? null,
        auc_error_bound: pooled?.auc_error_bound ?? null,
        n: pooled?.n ?? 0,
        sites: sites.filter((s) => s.validation !== null).length,
      });
    }
    const candidate = selectReleaseCandidate(rounds);
    if (!candidate)
      throw new DomainError(
        'ROUND_NOT_FOUND',
        `study ${studyId} has no completed round yet; a release candidate exists once a round's evaluation completes`,
      );
    return candidate;
  }

  /** Every recorded verdict of a study, by round. @example await evaluation.verdicts(studyId) */
  async verdicts(studyId: string): Promise<RecordedVerdict[]> {
    await this.requireStudy(studyId);
    return this.verdicts_.list(studyId);
  }

  /** The verdict of the reports as they stand; the policy is the study's. */
  verdictOf(study: Study, sites: readonly SiteEvaluation[]): ReleaseVerdict {
    return evaluateReleasePolicy(study.spec.release_policy, {
      sites: sites.map((s) => ({ site_id: s.siteId, name: s.name, report: s.report })),
      pooled: policyPooled(poolReports(sites.map((s) => s.report))),
    });
  }

  /** The round's reports that pass the study's checks: what is pooled and what the verdict reads. */
  async siteEvaluations(studyId: string, round: number): Promise<SiteEvaluation[]> {
    return (await this.readReports(await this.requireStudy(studyId), round)).sites;
  }

  /**
   * The stored reports, checked again on read (`siteReportProblem`, with the study's privacy k): one
   * that fails — stored before the checks existed (a per-case report of before issue 14), or edited
   * on disk — is left out with its reason, never failing the round's metrics, its verdict or a release.
   */
  private async readReports(
    study: Study,
    round: number,
  ): Promise<{ sites: SiteEvaluation[]; refused: RefusedReport[] }> {
    const studyId = study.id;
    const sites: SiteEvaluation[] = [];
    const refused: RefusedReport[] = [];
    for (const s of await this.reports.list(studyId, round)) {
      const name = (await this.sites.findById(s.siteId))?.name ?? s.siteId;
      const k = minCellCountOf(study.spec);
      const reason = siteReportProblem(s.report, k);
      if (reason === null) {
        const validationReason = s.validation && siteReportProblem(s.validation, k, 'validation');
        if (validationReason)
          this.log.error(
            { studyId, round, siteId: s.siteId, reason: validationReason },
            'a stored validation report fails the checks; left out',
          );
        sites.push({
          siteId: s.siteId,
          name,
          modelVersion: s.modelVersion,
          receivedAt: s.receivedAt,
          report: s.report,
          validation: s.validation && !validationReason ? s.validation : null,
        });
        continue;
      }
      refused.push({ siteId: s.siteId, name, receivedAt: s.receivedAt, reason });
      this.log.error(
        { studyId, round, siteId: s.siteId, reason },
        'a stored metrics report fails the checks; left out',
      );
    }
    return { sites, refused };
  }

  private async record(
    study: Study,
    round: number,
    sites: readonly SiteEvaluation[],
  ): Promise<RecordedVerdict> {
    const verdict = this.verdictOf(study, sites);
    return this.transactions.run(async (tx) => {
      const saved = await tx.verdicts.save(study.id, round, verdict);
      await tx.audit.append({
        actor: 'system',
        action: 'release.verdict',
        subjectType: 'study',
        subjectId: study.id,
        details: { round, pass: verdict.pass, reasons: verdict.reasons.map((r) => r.message) },
      });
      return saved;
    });
  }

  private async requireStudy(id: string): Promise<Study> {
    const study = await this.studies.findById(id);
    if (!study) throw new DomainError('STUDY_NOT_FOUND', `no study with id ${id}`);
    return study;
  }
}
