import { describe, expect, it } from '@jest/globals';
import { MemorySites } from '../../../../tests/medium/coordinator-in-memory';
import type { Site } from '../domain/records';
import { SiteStanding, STANDING_RECHECK_MS } from './site-standing';

/** MemorySites counting the lookups a standing check makes. */
class CountingSites extends MemorySites {
  lookups = 0;
  override findById(id: string): Promise<Site | null> {
    this.lookups++;
    return super.findById(id);
  }
}

describe('SiteStanding', () => {
  it('refuses every request of a site revoked in this process at once, on every session', async () => {
    const sites = new CountingSites();
    sites.put('a');
    const standing = new SiteStanding(sites, () => 0);
    const session = {};
    await standing.check(session, 'a');
    standing.revoked('a');
    await expect(standing.check(session, 'a')).rejects.toMatchObject({
      code: 'SITE_REVOKED',
      message: expect.stringMatching(/site a has been revoked .*ask the lead to enrol the hospital again/),
    });
    await expect(standing.check({}, 'a')).rejects.toMatchObject({ code: 'SITE_REVOKED' });
    expect(standing.isRevoked('a')).toBe(true);
  });

  it('re-reads the site at most once per STANDING_RECHECK_MS per session, however many requests come', async () => {
    const sites = new CountingSites();
    sites.put('a');
    let t = 0;
    const standing = new SiteStanding(sites, () => t);
    const session = {};
    await Promise.all(Array.from({ length: 100 }, () => standing.check(session, 'a')));
    expect(sites.lookups).toBe(1);
    await sites.revoke('a', new Date(0)); // by another process (the CLI on a shared database)
    t = STANDING_RECHECK_MS - 1;
    await standing.check(session, 'a');
    t = STANDING_RECHECK_MS;
    await expect(standing.check(session, 'a')).rejects.toMatchObject({ code: 'SITE_REVOKED' });
    expect(sites.lookups).toBe(2);
    await expect(standing.check({}, 'a')).rejects.toMatchObject({ code: 'SITE_REVOKED' });
    expect(sites.lookups).toBe(2); // now known here: no lookup needed
  });

  it('refuses a site that no longer exists', async () => {
    const standing = new SiteStanding(new CountingSites(), () => 0);
    await expect(standing.check({}, 'gone')).rejects.toMatchObject({ code: 'SITE_REVOKED' });
  });
});
