import { describe, expect, it } from '@jest/globals';
import { mapParticipant, mapRound } from '../rounds/round.response';
import { mapStudy } from '../studies/study.response';
import { mapEnrolledSite, mapSite } from './site.response';

const T = new Date('2026-03-04T05:06:07.000Z');

// Response shapes are the REST contract: snake_case, ISO-8601 timestamps, and nothing else.
describe('response mappers', () => {
  const site = {
    id: 's1',
    name: 'Hospital A',
    status: 'active' as const,
    createdAt: T,
    revokedAt: null,
    approvedCases: { nTrain: 260, nTest: 64 },
    claimedCases: null,
  };

  it('maps a site to exactly the public fields, approved and claimed counts apart', () => {
    expect(mapSite(site)).toEqual({
      id: 's1',
      name: 'Hospital A',
      status: 'active',
      created_at: '2026-03-04T05:06:07.000Z',
      revoked_at: null,
      approved_cases: { n_train: 260, n_test: 64 },
      claimed_cases: null,
    });
    expect(mapSite({ ...site, approvedCases: null, claimedCases: { nTrain: 9, nTest: 2 } })).toMatchObject({
      approved_cases: null,
      claimed_cases: { n_train: 9, n_test: 2 },
    });
  });

  it('adds the enrolment token only for the creating response', () => {
    expect(mapEnrolledSite({ site, enrolmentToken: 'tok' })).toEqual({
      ...mapSite(site),
      enrolment_token: 'tok',
    });
  });

  it('maps rounds and participants', () => {
    const round = {
      id: 'r',
      studyId: 's',
      number: 1,
      state: 'training' as const,
      attempt: 2,
      deadline: T,
      startedAt: T,
      endedAt: null,
      failureReason: null,
    };
    expect(mapRound(round, null)).toEqual({
      number: 1,
      state: 'training',
      attempt: 2,
      deadline: '2026-03-04T05:06:07.000Z',
      started_at: '2026-03-04T05:06:07.000Z',
      ended_at: null,
      failure_reason: null,
      privacy: null,
    });
    const p = {
      studyId: 's',
      roundNumber: 1,
      siteId: 'x',
      state: 'straggler' as const,
      reason: 'late',
      nTrain: null,
      updateSha256: null,
      updateBytes: null,
      screening: null,
    };
    expect(mapParticipant(p)).toEqual({
      site_id: 'x',
      state: 'straggler',
      reason: 'late',
      n_train: null,
      update_sha256: null,
      update_bytes: null,
      screening: null,
    });
  });

  it('maps a study without internal ids of other tables', () => {
    const spec = { name: 'n' } as never;
    const study = {
      id: 'st',
      name: 'n',
      spec,
      status: 'draft' as const,
      currentRound: 0,
      createdAt: T,
      updatedAt: T,
    };
    expect(Object.keys(mapStudy(study)).sort()).toEqual([
      'created_at',
      'current_round',
      'id',
      'name',
      'spec',
      'status',
      'updated_at',
    ]);
  });
});
