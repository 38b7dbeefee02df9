/**
 * Port: the live `/site` sessions of a site, as the service that revokes it sees them. The `/site`
 * gateway is the adapter in the running coordinator; services never import the gateway.
 */
export abstract class LiveSiteSessions {
  /** Refuses every later request of `siteId`'s open sessions and closes them, at once. */
  abstract end(siteId: string): void;
}

/**
 * The adapter where no sockets are served (the `site` and `study` CLI commands): nothing to close.
 * A coordinator running beside them (on PostgreSQL) finds the revocation when its sessions re-check
 * the site's standing (SiteStanding).
 */
export class NoLiveSiteSessions extends LiveSiteSessions {
  end(): void {}
}
