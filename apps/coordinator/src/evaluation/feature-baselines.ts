import type { FeatureModelPayload } from '@fedaln/protocol';
import type { SitePresence } from '../rounds/site-presence';
import { fitStudyFeatureModel, type FeatureModelLog, type FeatureModelStore } from './feature-model';

/**
 * Each study's four-feature baseline (issue 6): fitted once, before the study's first evaluate
 * tasks, by federated IRLS over the connected sites that evaluate and said in `hello` that they have
 * the feature columns; stored for every later evaluate task. A skipped fit is retried at the next
 * round, when more sites may be connected.
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
  ) {}

  find(studyId: string): Promise<FeatureModelPayload | null> {
    return this.store.find(studyId);
  }

  async ensure(studyId: string, siteIds: readonly string[]): Promise<void> {
    if (await this.store.find(studyId)) return;
    const calls = siteIds.flatMap((id) => {
      // Only sites that said in hello they have the columns: an older client would never ack.
      const session = this.presence.get(id);
      const call = session?.hello?.clinical_features ? session.featureStats : undefined;
      return call ? [[id, call] as const] : [];
    });
    const fm = await fitStudyFeatureModel(studyId, calls, this.log);
    if (!fm) return;
    await this.store.save(studyId, fm);
    this.log.info({ studyId, sites: fm.sites, coefficients: fm.coefficients }, 'four-feature model fitted');
  }
}
