import type { HelloAccepted, HelloPayload } from '@fedaln/protocol';
import type { ModelDownloads } from '../blobs/model-downloads';
import type { Transactions } from '../domain/transactions';
import { DomainError } from '../domain/domain-error';
import { KeyedRateLimit } from '../domain/keyed-rate-limit';
import type { StudyRepository } from '../studies/study.repository';
import type { SiteRepository } from '../sites/site.repository';
import type { MonitorFeed } from '../telemetry/monitor-feed';
import type { RoundRepository } from './round.repository';
import type { RoundsService } from './rounds.service';
import type { SitePresence, SiteSession } from './site-presence';
import type { TaskDispatch } from './task-dispatch';

export const SERVER_VERSION = '0.1.0';

/**
 * Hellos a site may say: a client says one per connection, so 10 a minute covers reconnects with
 * backoff; a client reconnecting in a tight loop (broken or hostile) is refused with `rate_limited`
 * instead of costing a database round per study each time.
 */
export const HELLO_RATE = { limit: 10, windowMs: 60_000 } as const;
/** The audit log keeps one `site.hello` row per site per minute, however often it says hello. */
export const HELLO_AUDIT_RATE = { limit: 1, windowMs: 60_000 } as const;

/**
 * A site arriving and leaving on `/site`. `hello` records what the site says about itself (audit,
 * dashboard; its case counts as claimed, not approved), makes it present for rounds (`SitePresence`), lets it join the waiting round of each
 * of its running studies and re-sends the task it still owes in a round under way; leaving removes
 * its session and its open download. Hellos are rate-limited per site ({@link HELLO_RATE}) and
 * audited at most once per {@link HELLO_AUDIT_RATE} window; a task the session already has is not sent again.
 *
 * @example
 * presence.connect(session);
 * await arrivals.hello(session, payload); // { site_id, server_version }
 * arrivals.left(session);
 */
export class SiteArrivals {
  private readonly hellos: KeyedRateLimit;
  private readonly audited: KeyedRateLimit;

  constructor(
    private readonly studies: StudyRepository,
    private readonly rounds: RoundRepository,
    private readonly service: RoundsService,
    private readonly dispatch: TaskDispatch,
    private readonly presence: SitePresence,
    private readonly downloads: ModelDownloads,
    private readonly transactions: Transactions,
    private readonly monitor: MonitorFeed,
    private readonly sites: SiteRepository,
    private readonly now: () => number = Date.now,
  ) {
    this.hellos = new KeyedRateLimit(HELLO_RATE, now);
    this.audited = new KeyedRateLimit(HELLO_AUDIT_RATE, now);
  }

  async hello(session: SiteSession, hello: HelloPayload): Promise<HelloAccepted> {
    const { siteId } = session;
    const rate = this.hellos.take(siteId);
    if (!rate.ok) {
      const retryS = Math.ceil(rate.retryInMs / 1000);
      throw new DomainError(
        'RATE_LIMITED',
        `site ${siteId} said hello more than ${HELLO_RATE.limit} times in ${HELLO_RATE.windowMs / 1000} s; retry in ${retryS} s (after ${new Date(this.now() + rate.retryInMs).toISOString()}): say hello once per connection and back off between reconnects`,
        { retry_in_ms: rate.retryInMs },
      );
    }
    session.hello = hello;
    // Kept as claimed, for the lead to approve on the dashboard; never used as a weight.
    const audited = this.audited.take(siteId).ok;
    await this.transactions.run(async (tx) => {
      await tx.sites.recordClaimedCases(siteId, { nTrain: hello.n_train, nTest: hello.n_test });
      if (audited) {
        await tx.audit.append({
          actor: `site:${siteId}`,
          action: 'site.hello',
          subjectType: 'site',
          subjectId: siteId,
          details: { ...hello },
        });
      }
    });
    this.monitor.siteStatus({
      site_id: siteId,
      connected: true,
      engine: hello.engine,
      images_per_s: hello.images_per_s,
    });
    for (const study of await this.studies.list()) {
      if (study.status !== 'running' || !study.spec.sites.includes(siteId)) continue;
      const before = await this.rounds.find(study.id, study.currentRound);
      await this.service.siteJoined(study.id, siteId);
      if (before && before.state !== 'waiting') await this.dispatch.resend(session, study, before);
    }
    this.presence.greeted(siteId);
    return { site_id: siteId, server_version: SERVER_VERSION };
  }

  left(session: SiteSession): void {
    if (!this.presence.disconnect(session)) return; // the site has reconnected on another socket
    this.downloads.forget(session.siteId);
    this.monitor.siteStatus({ site_id: session.siteId, connected: false });
  }
}
