import { describe, expect, it } from '@jest/globals';
import type { AuditLogEntity } from '../entities/audit-log.entity';
import type { GlobalModelEntity } from '../entities/global-model.entity';
import type { RoundParticipantEntity } from '../entities/round-participant.entity';
import type { RoundEntity } from '../entities/round.entity';
import { auditFromEntity } from './audit.mapper';
import { globalModelFromEntity } from './global-model.mapper';
import { participantFromEntity } from './participant.mapper';
import { roundFromEntity } from './round.mapper';
import { siteFromRow } from './site.mapper';

const T = '2026-03-04T05:06:07.000Z';

describe('persistence mappers', () => {
  it('maps a raw snake_case sites row (hand-written SQL) and an entity alike', () => {
    // pg answers int columns as numbers; a half-set pair cannot be stored (sites_claimed_pair).
    const raw = {
      id: 's1',
      name: 'A',
      status: 'revoked',
      created_at: T,
      revoked_at: T,
      approved_n_train: 260,
      approved_n_test: 64,
      claimed_n_train: null,
      claimed_n_test: null,
    };
    const entity = {
      id: 's1',
      name: 'A',
      status: 'revoked',
      createdAt: new Date(T),
      revokedAt: new Date(T),
      approvedNTrain: 260,
      approvedNTest: 64,
      claimedNTrain: null,
      claimedNTest: null,
    };
    const expected = {
      id: 's1',
      name: 'A',
      status: 'revoked',
      createdAt: new Date(T),
      revokedAt: new Date(T),
      approvedCases: { nTrain: 260, nTest: 64 },
      claimedCases: null,
    };
    expect(siteFromRow(raw)).toEqual(expected);
    expect(siteFromRow(entity)).toEqual(expected);
  });

  it('fails loudly on a state the domain does not know', () => {
    expect(() => siteFromRow({ id: 's', name: 'A', status: 'deleted', created_at: T })).toThrow(
      'unexpected sites.status "deleted" in the database',
    );
    const round = { id: 'r', studyId: 's', number: 1, state: 'sleeping', attempt: 1 } as RoundEntity;
    expect(() => roundFromEntity(round)).toThrow('unexpected rounds.state "sleeping"');
  });

  it('turns pg bigint strings into numbers (5 GB exceeds int32, within 2^53)', () => {
    const e = {
      studyId: 's',
      version: 2,
      sha256: 'a'.repeat(64),
      bytes: '5000000000',
      roundNumber: 2,
      createdAt: new Date(T),
    };
    expect(globalModelFromEntity(e as GlobalModelEntity)).toEqual({ ...e, bytes: 5_000_000_000 });
    const p = {
      studyId: 's',
      roundNumber: 1,
      siteId: 'x',
      state: 'uploaded',
      reason: null,
      nTrain: 10,
      updateSha256: 'b'.repeat(64),
      updateBytes: '4096',
    } as RoundParticipantEntity;
    expect(participantFromEntity(p).updateBytes).toBe(4096);
    expect(
      participantFromEntity({ ...p, updateBytes: null } as RoundParticipantEntity).updateBytes,
    ).toBeNull();
  });

  it('copies timestamps into this realm and keeps nulls', () => {
    const e = {
      id: 'r',
      studyId: 's',
      number: 3,
      state: 'training',
      attempt: 2,
      deadline: null,
      startedAt: T,
      endedAt: null,
    };
    const round = roundFromEntity(e as unknown as RoundEntity);
    expect(round.startedAt).toBeInstanceOf(Date);
    expect(round.startedAt.toISOString()).toBe(T);
    expect(round.deadline).toBeNull();
    expect(round.endedAt).toBeNull();
  });

  it('maps audit rows with bigint ids', () => {
    const e = {
      id: '42',
      at: new Date(T),
      actor: 'admin',
      action: 'site.enrolled',
      subjectType: 'site',
      subjectId: 'x',
      details: { a: 1 },
    };
    expect(auditFromEntity(e as AuditLogEntity)).toEqual({ ...e, id: 42 });
  });
});
