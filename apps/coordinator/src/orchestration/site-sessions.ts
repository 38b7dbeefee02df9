import type { HelloPayload, TaskPayload } from '@fedaln/protocol';
import type { FeatureStatsCall } from './feature-model';

/** A connected site as the orchestrator sees it: how to reach it and what it said in `hello`. */
export interface SiteSession {
  readonly siteId: string;
  readonly send: (task: TaskPayload) => void;
  hello: HelloPayload | null;
  /** Asks the site for its four-feature sufficient statistics (`features:stats`). */
  readonly featureStats?: FeatureStatsCall;
}

/**
 * Connected sites by id. A site that reconnects replaces its previous session, so a task goes to
 * the socket the site uses now.
 *
 * @example
 * sessions.connect({ siteId, send: (t) => socket.emit(SiteEvent.task, t), hello: null });
 */
export class SiteSessions {
  private readonly bySite = new Map<string, SiteSession>();

  connect(session: SiteSession): void {
    this.bySite.set(session.siteId, session);
  }

  /** Removes the session only if it is still the site's current one. */
  disconnect(session: SiteSession): void {
    if (this.bySite.get(session.siteId) === session) this.bySite.delete(session.siteId);
  }

  get(siteId: string): SiteSession | undefined {
    return this.bySite.get(siteId);
  }
}
