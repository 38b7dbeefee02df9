import type { MetricsReportPayload } from '@fedaln/protocol';
import type { AuditLog } from '../audit/audit-log';
import { DomainError } from '../domain/domain-error';
import { minCellCountOf, validationFractionOf, type StudySpec } from '../domain/study-spec';
import { KeyedRateLimit } from '../domain/keyed-rate-limit';
import type { GlobalModelRepository } from '../models/global-model.repository';
import { currentRoundIn } from '../rounds/current-round';
import { KeyedSerial } from '../rounds/keyed-serial';
import type { ParticipantRepository } from '../rounds/participant.repository';
import type { RoundRepository } from '../rounds/round.repository';
import type { RoundsService } from '../rounds/rounds.service';
import type { SiteRepository } from '../sites/site.repository';
import type { StudyRepository } from '../studies/study.repository';
import type { MonitorFeed } from '../telemetry/monitor-feed';
import type { MetricsReportStore } from './metrics-report-store';
import { siteReportProblem } from './site-report-check';

/**
 * Refused reports audit-logged per site: a burst of 10, then 10 a minute. A site sending bad reports
 * in a loop is refused every time, but cannot grow the audit log without bound.
 */
export const REFUSED_REPORT_AUDIT_RATE = Object.freeze({ limit: 10, windowMs: 60_000 });

/** What a site should do about a report on another layout or with impossible values. */
const REPORT_FIX =
  "send the report the FedALN site client builds (fedaln-site run; releasedReport of @fedaln/metrics: histograms merged from the 0.01 grid under the study's privacy rule)";

/**
 * A site's evaluation report (`metrics:report`) for its current round while it evaluates, of the
 * round's model: stored (a later report of the same site replaces it), shown on the dashboard, and
 * once every site that uploaded has reported, the round's evaluation is done. Reports of one study
 * are taken one at a time, so "everyone has reported" is decided once. Only a site whose update the
 * round counted reports, and only a report checked against the study (`siteReportProblem`) covering
 * exactly the test cases the lead approved for the site; a refused one is audit-logged with its reason.
 *
 * @example
 * await intake.report(siteId, { study_id, round: 2, model_version: 2, model_sha256, report });
 */
export class MetricsIntake {
  private readonly serial = new KeyedSerial();
  private readonly refusalsAudited: KeyedRateLimit;

  constructor(
    private readonly studies: StudyRepository,
    private readonly rounds: RoundRepository,
    private readonly participants: ParticipantRepository,
    private readonly models: GlobalModelRepository,
    private readonly reports: MetricsReportStore,
    private readonly service: RoundsService,
    private readonly monitor: MonitorFeed,
    private readonly sites: SiteRepository,
    private readonly audit: AuditLog,
    now: () => number = Date.now,
  ) {
    this.refusalsAudited = new KeyedRateLimit(REFUSED_REPORT_AUDIT_RATE, now);
  }

  async report(siteId: string, payload: MetricsReportPayload): Promise<void> {
    const deps = { studies: this.studies, rounds: this.rounds };
    const { study, round } = await currentRoundIn(
      deps,
      siteId,
      payload.study_id,
      payload.round,
      'evaluating',
    );
    const model = await this.models.find(study.id, round.number);
    if (payload.model_version !== round.number || model?.sha256 !== payload.model_sha256) {
      throw new DomainError(
        'INVALID_INPUT',
        `round ${round.number} evaluates model version ${round.number} (${model?.sha256})`,
      );
    }
    const mine = (await this.participants.list(study.id, round.number)).find((p) => p.siteId === siteId);
    if (mine?.state !== 'uploaded') {
      throw new DomainError(
        'FORBIDDEN',
        `round ${round.number} counted no update of this site (${mine?.state ?? 'no task'}); only sites that uploaded in a round report on its model`,
      );
    }
    const { report, validation } = payload;
    const problem =
      (await this.problemOf(siteId, report, minCellCountOf(study.spec))) ??
      (await this.validationProblemOf(siteId, validation, study.spec));
    if (problem) {
      if (this.refusalsAudited.take(siteId).ok)
        await this.audit.append({
          actor: `site:${siteId}`,
          action: 'metrics.report_refused',
          subjectType: 'study',
          subjectId: study.id,
          details: { round: round.number, reason: problem },
        });
      throw new DomainError('INVALID_INPUT', `metrics report refused: ${problem}`);
    }
    await this.serial.run(study.id, async () => {
      await this.reports.save({
        studyId: study.id,
        round: round.number,
        siteId,
        modelVersion: payload.model_version,
        modelSha256: payload.model_sha256,
        receivedAt: new Date().toISOString(),
        report,
        ...(validation ? { validation } : {}),
      });
      this.monitor.metricsReceived({
        study_id: study.id,
        round: round.number,
        site_id: siteId,
        n: report.n,
        auc: report.auc ?? NaN,
      });
      const reported = new Set(await this.reports.reportedSites(study.id, round.number));
      const expected = (await this.participants.list(study.id, round.number)).filter(
        (p) => p.state === 'uploaded',
      );
      const current = await this.rounds.find(study.id, round.number);
      if (current?.state === 'evaluating' && expected.every((p) => reported.has(p.siteId))) {
        await this.service.evaluationDone(study.id, round.number);
      }
    });
  }

  /**
   * Why the validation report is refused, or null: the same checks as the test report (layout, the
   * study's privacy rule), at most the site's approved train cases, and only in a study that holds
   * out a validation split. A report without one is taken (a site client of before issue 15 trains on
   * every train case): that site's validation counts are simply missing from the round.
   */
  private async validationProblemOf(
    siteId: string,
    validation: unknown,
    spec: StudySpec,
  ): Promise<string | null> {
    if (validation === undefined) return null;
    if (validationFractionOf(spec) === 0)
      return 'validation is given, but this study holds out no validation split (validation_fraction 0); leave it out';
    const problem = siteReportProblem(validation, minCellCountOf(spec), 'validation');
    if (problem) return `${problem}; ${REPORT_FIX}`;
    const { n } = validation as { n: number };
    const nTrain = (await this.sites.findById(siteId))?.approvedCases?.nTrain ?? 0;
    if (n > nTrain)
      return `validation.n is ${n}; expected at most the ${nTrain} train cases approved for this site (the validation split is held out from them)`;
    return null;
  }

  /** Why the report is refused (the value, what was expected, the fix), or null. */
  private async problemOf(siteId: string, report: unknown, k: number): Promise<string | null> {
    const problem = siteReportProblem(report, k);
    if (problem) return `${problem}; ${REPORT_FIX}`;
    const { n } = report as { n: number };
    const approved = (await this.sites.findById(siteId))?.approvedCases ?? null;
    if (approved === null)
      return `report.n is ${n} but this site has no approved test count; ask the lead to approve your counts on the dashboard`;
    if (n !== approved.nTest)
      return `report.n is ${n}; expected the ${approved.nTest} test cases approved for this site; ask the lead to approve your counts on the dashboard`;
    return null;
  }
}
