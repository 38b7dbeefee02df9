import { describe, expect, it } from '@jest/globals';
import {
  auditCanonical,
  auditHash,
  canonicalJson,
  ChainCheck,
  GENESIS_HASH,
  jsonValue,
  parseAnchor,
  type ChainedAuditRow,
} from './audit-chain';

const FIRST = Object.freeze({
  id: '1',
  at: new Date('2026-12-04T16:00:00.123Z'),
  actor: 'cli',
  action: 'site.enrolled',
  subjectType: 'site' as const,
  subjectId: '5d0c0f5e-0000-4000-8000-000000000001',
  details: { name: 'Hospital A', approved_cases: { n_train: 260, n_test: 64 } },
  prevHash: GENESIS_HASH,
});

/** A chain of `n` rows, each hashed over the one before. */
function chain(n: number, idStep = 1): ChainedAuditRow[] {
  const rows: ChainedAuditRow[] = [];
  let prev = GENESIS_HASH;
  for (let i = 1; i <= n; i++) {
    const row = { ...FIRST, id: String(i * idStep), details: { i }, prevHash: prev };
    const hash = auditHash(row);
    rows.push({ ...row, hash });
    prev = hash;
  }
  return rows;
}

function walk(rows: readonly ChainedAuditRow[], anchor: Parameters<typeof parseAnchor>[0] | null = null) {
  const check = new ChainCheck(anchor === null ? null : parseAnchor(anchor));
  for (const r of rows) if (!check.add(r)) break;
  return check.finish();
}

describe('canonicalJson', () => {
  it('sorts keys at every depth, keeps array order, drops undefined, no whitespace', () => {
    expect(canonicalJson({ b: [3, { z: 1, a: 'x' }], a: null, c: undefined, d: true })).toBe(
      '{"a":null,"b":[3,{"a":"x","z":1}],"d":true}',
    );
  });

  it('refuses what JSON cannot carry', () => {
    expect(() => canonicalJson(Number.NaN)).toThrow(/NaN is not a JSON number/);
    expect(() => canonicalJson(1n)).toThrow(/bigint is not JSON/);
  });

  it('jsonValue gives details as jsonb returns them', () => {
    expect(jsonValue({ at: new Date(0), x: undefined, n: Number.NaN })).toEqual({
      at: '1970-01-01T00:00:00.000Z',
      n: null,
    });
  });
});

describe('auditHash', () => {
  it('is sha256 of the canonical encoding (reference: GNU coreutils 9.1 `printf %s ... | sha256sum`)', () => {
    expect(auditCanonical(FIRST)).toBe(
      '{"action":"site.enrolled","actor":"cli","at":"2026-12-04T16:00:00.123Z","details":{"approved_cases":{"n_test":64,"n_train":260},"name":"Hospital A"},"id":"1","prev_hash":"0000000000000000000000000000000000000000000000000000000000000000","subject_id":"5d0c0f5e-0000-4000-8000-000000000001","subject_type":"site"}',
    );
    expect(auditHash(FIRST)).toBe('904371898798c85a6e9385dcffbb5f6f28c857bf4f22b822e98c15d9250b3aa1');
  });

  it('covers every field', () => {
    const base = auditHash(FIRST);
    for (const change of [
      { id: '2' },
      { at: new Date('2026-12-04T16:00:00.124Z') },
      { actor: 'admin' },
      { action: 'site.revoked' },
      { subjectType: 'study' as const },
      { subjectId: 'x' },
      { details: { name: 'Hospital B', approved_cases: { n_train: 260, n_test: 64 } } },
      { prevHash: '1'.repeat(64) },
    ]) {
      expect(auditHash({ ...FIRST, ...change })).not.toBe(base);
    }
  });
});

describe('ChainCheck', () => {
  it('passes a clean chain and reports its head', () => {
    const rows = chain(4);
    expect(walk(rows)).toEqual({
      ok: true,
      rows: 4,
      head: { id: '4', hash: rows[3]?.hash, at: FIRST.at },
    });
    expect(walk([])).toEqual({ ok: true, rows: 0, head: null });
  });

  it('names a changed row', () => {
    const rows = chain(4);
    rows[1] = { ...(rows[1] as ChainedAuditRow), details: { i: 99 } };
    const r = walk(rows);
    expect(r).toMatchObject({ ok: false, rows: 1, broken: { id: '2', field: 'hash', found: rows[1]?.hash } });
    if (!r.ok)
      expect(r.broken.message).toMatch(/^row 2: its contents hash to [0-9a-f]{64} but its hash column is/);
  });

  it('names the row after a deleted one, with the hash it should have chained to', () => {
    const rows = chain(4);
    const r = walk([rows[0], rows[2], rows[3]] as ChainedAuditRow[]);
    expect(r).toMatchObject({
      ok: false,
      broken: { id: '3', field: 'prev_hash', expected: rows[0]?.hash, found: rows[1]?.hash },
    });
    if (!r.ok) expect(r.broken.message).toMatch(/the row before it \(id 1\) hashes to that/);
  });

  it('names the row after an inserted one even when the inserted row is hashed correctly', () => {
    const rows = chain(3, 10);
    // Ids may have gaps (a rolled-back append uses one up), so a forger can fit a row in one.
    const forged = { ...FIRST, id: '15', details: { forged: true }, prevHash: rows[0]?.hash as string };
    const withForged = [rows[0], { ...forged, hash: auditHash(forged) }, rows[1], rows[2]];
    expect(walk(withForged as ChainedAuditRow[])).toMatchObject({
      ok: false,
      broken: { id: '20', field: 'prev_hash' },
    });
  });

  it('a rewritten or shortened chain passes alone but not against an anchored head', () => {
    const rows = chain(4);
    const anchor = `4:${rows[3]?.hash}`;
    expect(walk(rows, anchor)).toMatchObject({ ok: true, rows: 4 });
    const shortened = rows.slice(0, 3);
    expect(walk(shortened)).toMatchObject({ ok: true, rows: 3 });
    expect(walk(shortened, anchor)).toMatchObject({
      ok: false,
      broken: { id: '4', field: 'anchor', found: 'no such row' },
    });
    // The whole chain recomputed with one row changed: self-consistent, so only the anchor shows it.
    const rewritten: ChainedAuditRow[] = [];
    let prev = GENESIS_HASH;
    for (const r of rows) {
      const row = { ...r, details: r.id === '2' ? { i: 99 } : r.details, prevHash: prev };
      rewritten.push({ ...row, hash: auditHash(row) });
      prev = auditHash(row);
    }
    expect(walk(rewritten)).toMatchObject({ ok: true });
    expect(walk(rewritten, anchor)).toMatchObject({ ok: false, broken: { id: '4', field: 'anchor' } });
  });

  it('parseAnchor takes ID:HASH and nothing else', () => {
    expect(parseAnchor(`007:${'a'.repeat(64)}`)).toEqual({ id: '7', hash: 'a'.repeat(64) });
    expect(parseAnchor(`7:${'A'.repeat(64)}`)).toBeNull();
    expect(parseAnchor('7')).toBeNull();
  });
});
