import type { Study } from '../domain/records';
import { minCellCountOf, validationFractionOf } from '../domain/study-spec';
import type { SitePresence } from '../rounds/site-presence';
import type { FeatureModelLog } from './feature-model';
import type { NomogramFits, NomogramStore } from './nomogram-fits';

/**
 * How long after the first of a pending study's sites says hello the phase runs with whoever is back,
 * when not all of them are: one site that never returns must not hold the others' nomogram for ever.
 */
export const RESUME_GRACE_MS = 60_000;

interface PendingStudy {
  readonly sites: readonly string[];
  readonly minCellCount: number;
}

/**
 * The post-training phase after a coordinator restart (issue 15). The phase (`NomogramFits.finish`)
 * starts when a study's last round completes and is marked over (`post-training.json`) only at its
 * end, so a coordinator that stopped between the end of training and the nomogram fit, or during the
 * fit or the comparison, left a completed study with a validation split and no mark. At boot such
 * studies are pending; the sites still hold their scores in memory (a `run --once` site waits for
 * `study:finished`, reconnecting), so the phase runs again when every site of the study has said hello
 * again, or {@link RESUME_GRACE_MS} after the first did. A nomogram already stored is kept (its hash
 * may be signed); only what is missing is made.
 *
 * @example
 * await resume.atBoot(await studies.list()); // ['3f1c…']: pending until their sites are back
 */
export class PostTrainingResume {
  private readonly pending = new Map<string, PendingStudy>();
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly fits: Pick<NomogramFits, 'finish'>,
    private readonly store: Pick<NomogramStore, 'finished'>,
    private readonly presence: SitePresence,
    private readonly log: FeatureModelLog,
    private readonly graceMs = RESUME_GRACE_MS,
  ) {
    presence.onGreeted((siteId) => this.siteGreeted(siteId));
  }

  /** The phases run again so far (tests wait on them). */
  readonly resumed: Promise<unknown>[] = [];

  /** Marks the completed studies whose phase did not reach its end as pending; returns their ids. */
  async atBoot(studies: readonly Study[]): Promise<string[]> {
    for (const study of studies) {
      const lastRoundDone = study.status === 'completed' && study.currentRound >= study.spec.rounds;
      if (!lastRoundDone || validationFractionOf(study.spec) === 0) continue;
      if (await this.store.finished(study.id)) continue;
      this.pending.set(study.id, { sites: study.spec.sites, minCellCount: minCellCountOf(study.spec) });
      this.log.info(
        { studyId: study.id },
        'the post-training fits of this study did not finish before the restart; they run again when its sites are back',
      );
    }
    for (const id of this.pending.keys()) this.startIfAllBack(id);
    return [...this.pending.keys()];
  }

  /** Stops the grace timers (shutdown). */
  stop(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  private siteGreeted(siteId: string): void {
    for (const [id, p] of this.pending) {
      if (!p.sites.includes(siteId)) continue;
      if (this.startIfAllBack(id) || this.timers.has(id)) continue;
      const timer = setTimeout(() => this.start(id), this.graceMs);
      timer.unref();
      this.timers.set(id, timer);
    }
  }

  private startIfAllBack(studyId: string): boolean {
    const p = this.pending.get(studyId);
    if (!p || this.presence.present(p.sites).length < p.sites.length) return false;
    this.start(studyId);
    return true;
  }

  private start(studyId: string): void {
    const p = this.pending.get(studyId);
    if (!p) return;
    this.pending.delete(studyId);
    clearTimeout(this.timers.get(studyId));
    this.timers.delete(studyId);
    this.log.info({ studyId }, 'running the post-training fits again after the restart');
    this.resumed.push(this.fits.finish(studyId, p.sites, true, p.minCellCount));
  }
}
