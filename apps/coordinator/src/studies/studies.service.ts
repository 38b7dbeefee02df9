import type { AuditLog } from '../audit/audit-log';
import { DomainError } from '../domain/domain-error';
import type { Study } from '../domain/records';
import type { Transactions } from '../domain/transactions';
import type { StudySpec } from '../domain/study-spec';
import type { SiteRepository } from '../sites/site.repository';
import type { StudyRepository } from './study.repository';
import { validateStudySpec } from './validate-study-spec';

/** A study paused by the coordinator for its lead to decide, and why. */
export interface AwaitingLead {
  readonly round: number;
  readonly reason: string;
  readonly since: Date;
}

/** Creating and reading studies; running them is `RoundsService`'s job. */
export class StudiesService {
  constructor(
    private readonly studies: StudyRepository,
    private readonly sites: SiteRepository,
    private readonly audit: AuditLog,
    private readonly transactions: Transactions,
  ) {}

  /**
   * Validates the spec (again: the CLI and tests call this directly), checks every listed site is
   * enrolled and active, and stores the study as a draft.
   *
   * @example
   * const study = await studies.create(JSON.parse(fs.readFileSync('study.json', 'utf8')), 'cli');
   */
  async create(input: unknown, actor: string): Promise<Study> {
    const result = validateStudySpec(input);
    if (!result.ok) {
      const summary = result.errors.map((e) => `${e.field}: ${e.message}`).join('; ');
      throw new DomainError('STUDY_SPEC_INVALID', `invalid study: ${summary}`, { errors: result.errors });
    }
    await this.assertSitesActive(result.spec);
    return this.transactions.run(async (tx) => {
      const study = await tx.studies.create(result.spec);
      await tx.audit.append({
        actor,
        action: 'study.created',
        subjectType: 'study',
        subjectId: study.id,
        details: { name: study.name },
      });
      return study;
    });
  }

  list(): Promise<Study[]> {
    return this.studies.list();
  }

  async get(id: string): Promise<Study> {
    const study = await this.studies.findById(id);
    if (!study) throw new DomainError('STUDY_NOT_FOUND', `no study with id ${id}`);
    return study;
  }

  /**
   * Why a paused study waits for its lead (issue 13: no quorum after every try, or too few updates
   * kept by screening), from its audit trail; null when it does not wait for the lead.
   */
  async awaitingLead(study: Study): Promise<AwaitingLead | null> {
    if (study.status !== 'paused') return null;
    const trail = await this.audit.list('study', study.id);
    const last = trail
      .filter((e) => e.action === 'study.awaiting_lead' || e.action === 'study.resume')
      .at(-1);
    if (last?.action !== 'study.awaiting_lead') return null;
    const d = last.details as { round?: unknown; reason?: unknown };
    return { round: Number(d.round), reason: String(d.reason), since: last.at };
  }

  private async assertSitesActive(spec: StudySpec): Promise<void> {
    const found = await Promise.all(spec.sites.map((id) => this.sites.findById(id)));
    const bad = spec.sites.filter((_, i) => found[i]?.status !== 'active');
    if (bad.length > 0) {
      throw new DomainError(
        'STUDY_UNKNOWN_SITES',
        `sites not enrolled or revoked: ${bad.join(', ')}; enrol them with \`fedaln-coordinator site add\` or POST /api/sites`,
        { sites: bad },
      );
    }
  }
}
