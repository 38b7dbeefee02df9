import type { HelloPayload, StudyFinishedPayload, TaskPayload } from '@fedaln/protocol';
import type { NomogramCompareCall } from '../evaluation/model-comparison-phase';
import type { NomogramStatsCall } from '../evaluation/nomogram-fits';
import type { FeatureStatsCall } from '../evaluation/feature-model';
import type { SecAggChannel } from '../secure-aggregation/secagg-channel';

/** A connected site as the coordinator sees it: how to reach it and what it said in `hello`. */
export interface SiteSession {
  readonly siteId: string;
  readonly send: (task: TaskPayload) => void;
  hello: HelloPayload | null;
  /** Asks the site for its four-feature sufficient statistics (`features:stats`). */
  readonly featureStats?: FeatureStatsCall;
  /** Asks the site for sufficient statistics of a post-training fit (`nomogram:stats`, issue 15). */
  readonly nomogramStats?: NomogramStatsCall;
  /** Asks the site to compare DL, four-feature and combined models on its test split (`nomogram:compare`). */
  readonly nomogramCompare?: NomogramCompareCall;
  /** Tells the site its study is finished (`study:finished`): `run --once` exits on it. */
  readonly studyFinished?: (payload: StudyFinishedPayload) => void;
  /** The `secagg:*` rounds of secure aggregation with this site. */
  readonly secagg?: SecAggChannel;
}

/**
 * The one record of which sites are here: connected sessions by site, in memory (rebuilt as sites
 * reconnect). A site that reconnects replaces its previous session, so a task goes to the socket
 * the site uses now. A site counts as present for rounds once it has said `hello`.
 *
 * @example
 * presence.connect({ siteId, send: (t) => socket.emit(SiteEvent.task, t), hello: null });
 * presence.present(study.spec.sites); // ['site-a', 'site-c']: connected and greeted, sorted
 */
export class SitePresence {
  private readonly bySite = new Map<string, SiteSession>();
  private readonly greetedListeners: ((siteId: string) => void)[] = [];

  /** Calls `listener` each time a site has said hello and its studies have been told (SiteArrivals). */
  onGreeted(listener: (siteId: string) => void): void {
    this.greetedListeners.push(listener);
  }

  /** A site's hello is handled: it is present now. */
  greeted(siteId: string): void {
    for (const listener of this.greetedListeners) listener(siteId);
  }

  connect(session: SiteSession): void {
    this.bySite.set(session.siteId, session);
  }

  /** Removes the session only if it is still the site's current one; says whether it was. */
  disconnect(session: SiteSession): boolean {
    if (this.bySite.get(session.siteId) !== session) return false;
    this.bySite.delete(session.siteId);
    return true;
  }

  get(siteId: string): SiteSession | undefined {
    return this.bySite.get(siteId);
  }

  /** The sites among `siteIds` that are connected and have said hello, sorted. */
  present(siteIds: readonly string[]): string[] {
    return siteIds.filter((id) => this.bySite.get(id)?.hello).sort();
  }
}
