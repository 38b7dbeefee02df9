import { createHash } from 'node:crypto';
import type { AuditEntry } from '../domain/records';

/** The `prev_hash` of the first row of the chain: 64 zeros. */
export const GENESIS_HASH = '0'.repeat(64);

/** One audit row as the chain covers it. `id` is the bigint primary key as a decimal string. */
export interface ChainedAuditRow extends AuditEntry {
  readonly id: string;
  readonly at: Date;
  readonly prevHash: string;
  readonly hash: string;
}

/** The last row of the chain, to be anchored elsewhere (a ticket, an e-mail, a notary). */
export interface ChainHead {
  readonly id: string;
  readonly hash: string;
  readonly at: Date;
}

/**
 * Canonical JSON: `JSON.stringify`'s encoding of strings, finite numbers, booleans and null; arrays
 * in order; object keys sorted by UTF-16 code unit (`Array.prototype.sort`), keys whose value is
 * `undefined` left out; no whitespace. Values must already be JSON (see `jsonValue`).
 *
 * @example canonicalJson({ b: [1, 'x'], a: null }) // '{"a":null,"b":[1,"x"]}'
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`canonicalJson: ${value} is not a JSON number`);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  throw new Error(`canonicalJson: a ${typeof value} is not JSON`);
}

/**
 * Details as the database will give them back: through JSON (dates become ISO strings, `undefined`
 * and functions vanish, NaN becomes null), so the hash computed at append equals the one recomputed
 * from the stored `jsonb`.
 */
export function jsonValue(details: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return JSON.parse(JSON.stringify(details)) as Record<string, unknown>;
}

/**
 * The bytes a row's hash covers (README "A tamper-evident audit trail"):
 * canonicalJson({ action, actor, at: ISO 8601 UTC to the millisecond, details, id: decimal string,
 * prev_hash, subject_id, subject_type }).
 *
 * @example
 * auditCanonical({ id: '1', at: new Date(0), actor: 'cli', action: 'site.enrolled', subjectType: 'site',
 *   subjectId: 's', details: {}, prevHash: GENESIS_HASH })
 * // '{"action":"site.enrolled","actor":"cli","at":"1970-01-01T00:00:00.000Z","details":{},"id":"1",...}'
 */
export function auditCanonical(row: Omit<ChainedAuditRow, 'hash'>): string {
  return canonicalJson({
    id: row.id,
    at: row.at.toISOString(),
    actor: row.actor,
    action: row.action,
    subject_type: row.subjectType,
    subject_id: row.subjectId,
    details: row.details,
    prev_hash: row.prevHash,
  });
}

/** sha256 (lower-case hex) of the row's canonical encoding in UTF-8. */
export function auditHash(row: Omit<ChainedAuditRow, 'hash'>): string {
  return createHash('sha256').update(auditCanonical(row), 'utf8').digest('hex');
}

/** The first row where the chain breaks, and how. */
export interface ChainBreak {
  readonly id: string;
  readonly field: 'prev_hash' | 'hash' | 'anchor';
  readonly expected: string;
  readonly found: string;
  readonly message: string;
}

/** `id:hash` of a head exported earlier (`audit head`), to check the chain still contains it. */
export interface ChainAnchor {
  readonly id: string;
  readonly hash: string;
}

/**
 * Walks the chain row by row in id order (feed it pages; memory stays O(1)). Each row must name the
 * previous row's hash (else a row before it was deleted or inserted, or the previous row was changed
 * and re-hashed) and must hash to its own `hash` (else it was changed). With an anchor, the anchored
 * row must be found with the anchored hash (else rows were removed from the end, or the chain was
 * rewritten).
 *
 * @example
 * const check = new ChainCheck();
 * for (const row of rows) if (!check.add(row)) break;
 * const result = check.finish(); // { ok: true, rows, head } or { ok: false, broken }
 */
export class ChainCheck {
  private expectedPrev = GENESIS_HASH;
  private previousId: string | null = null;
  private count = 0;
  private head: ChainHead | null = null;
  private broken: ChainBreak | null = null;
  private anchorSeen = false;

  constructor(private readonly anchor: ChainAnchor | null = null) {}

  /** False once the chain is broken (stop feeding it). */
  add(row: ChainedAuditRow): boolean {
    if (this.broken) return false;
    if (row.prevHash !== this.expectedPrev) {
      const before =
        this.previousId === null
          ? 'it is the first row'
          : `the row before it (id ${this.previousId}) hashes to that`;
      return this.fail({
        id: row.id,
        field: 'prev_hash',
        expected: this.expectedPrev,
        found: row.prevHash,
        message: `row ${row.id}: prev_hash should be ${this.expectedPrev} (${before}) but is ${row.prevHash}: a row before it was deleted or inserted, or the row before it was changed`,
      });
    }
    const computed = auditHash(row);
    if (computed !== row.hash) {
      return this.fail({
        id: row.id,
        field: 'hash',
        expected: computed,
        found: row.hash,
        message: `row ${row.id}: its contents hash to ${computed} but its hash column is ${row.hash}: the row was changed`,
      });
    }
    if (this.anchor && row.id === this.anchor.id) {
      this.anchorSeen = true;
      if (row.hash !== this.anchor.hash) {
        return this.fail({
          id: row.id,
          field: 'anchor',
          expected: this.anchor.hash,
          found: row.hash,
          message: `row ${row.id}: the anchored head says its hash is ${this.anchor.hash} but the chain has ${row.hash}: the chain was rewritten up to this row`,
        });
      }
    }
    this.expectedPrev = row.hash;
    this.previousId = row.id;
    this.count++;
    this.head = { id: row.id, hash: row.hash, at: row.at };
    return true;
  }

  finish():
    { ok: true; rows: number; head: ChainHead | null } | { ok: false; rows: number; broken: ChainBreak } {
    if (!this.broken && this.anchor && !this.anchorSeen) {
      this.fail({
        id: this.anchor.id,
        field: 'anchor',
        expected: this.anchor.hash,
        found: 'no such row',
        message: `row ${this.anchor.id}, the anchored head, is not in the chain (its last row is ${this.head?.id ?? 'none'}): rows were removed from its end`,
      });
    }
    return this.broken
      ? { ok: false, rows: this.count, broken: this.broken }
      : { ok: true, rows: this.count, head: this.head };
  }

  private fail(b: ChainBreak): false {
    this.broken = b;
    return false;
  }
}

/** Parses `--anchor ID:HASH` as `audit head` prints it. Null when malformed. */
export function parseAnchor(text: string): ChainAnchor | null {
  const m = /^(\d+):([0-9a-f]{64})$/.exec(text.trim());
  return m ? { id: BigInt(m[1] as string).toString(), hash: m[2] as string } : null;
}
