import type { FeatureModelPayload } from '@fedaln/protocol';
import type { SitePresence } from '../rounds/site-presence';
import type { AuditLog } from '../audit/audit-log';
import { fitStudyFeatures, type FeatureModelLog, type FeatureModelStore } from './feature-model';
import type { SiteDataDisagreement } from './site-data-disagreement';

/**
 * Each study's four-feature baseline (issue 6): fitted once, before the study's first evaluate
 * tasks, by federated IRLS over the connected sites that evaluate and said in `hello` that they have
 * the feature columns; stored for every later evaluate task. A skipped fit is retried at the next
 * round, when more sites may be connected. With the fit, each site's data-disagreement test
 * (`siteDataDisagreement`) is stored and a flagged site is audit-logged (`site.data_disagreement`).
 *
 * @example
 * await baselines.ensure(studyId, ['site-a', 'site-b']);
 * (await baselines.find(studyId))?.coefficients;
 */
export class FeatureBaselines {
  constructor(
    private readonly store: FeatureModelStore,
    private readonly presence: SitePresence,
    private readonly log: FeatureModelLog,
    private readonly audit: Pick<AuditLog, 'append'> | null = null,
  ) {}

  find(studyId: string): Promise<FeatureModelPayload | null> {
    return this.store.find(studyId);
  }

  /** The sites' data-disagreement tests of the study's fit; empty before the fit. */
  async disagreement(studyId: string): Promise<SiteDataDisagreement[]> {
    return (await this.store.findDisagreement(studyId)) ?? [];
  }

  async ensure(studyId: string, siteIds: readonly string[]): Promise<void> {
    if (await this.store.find(studyId)) return;
    const calls = siteIds.flatMap((id) => {
      // Only sites that said in hello they have the columns: an older client would never ack.
      const session = this.presence.get(id);
      const call = session?.hello?.clinical_features ? session.featureStats : undefined;
      return call ? [[id, call] as const] : [];
    });
    const fitted = await fitStudyFeatures(studyId, calls, this.log);
    if (!fitted) return;
    const fm = fitted.model;
    // The tests first: a crash in between refits (no model stored), never leaves a model without them.
    await this.store.saveDisagreement(studyId, fitted.disagreement);
    await this.store.save(studyId, fm);
    this.log.info({ studyId, sites: fm.sites, coefficients: fm.coefficients }, 'four-feature model fitted');
    for (const d of fitted.disagreement.filter((x) => x.flagged)) {
      this.log.info({ studyId, ...d }, 'site data disagree with the federation (labels given the features)');
      await this.audit?.append({
        actor: 'system',
        action: 'site.data_disagreement',
        subjectType: 'site',
        subjectId: d.site_id,
        details: { study_id: studyId, statistic: d.statistic, df: d.df, p: d.p, threshold: d.threshold },
      });
    }
  }
}
