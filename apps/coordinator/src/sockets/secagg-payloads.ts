import type { SecAggKeysPayload, SecAggSharesPayload } from '@fedaln/protocol';
import { DomainError } from '../domain/domain-error';

/** Most sealed shares one site sends: one per peer of a session (the study's sites, ≤ 1000). */
const MAX_SHARES = 1000;
/** A sealed share pair: 2 × 66 bytes of shares, the GCM nonce and tag. */
const MAX_SEALED_BYTES = 256;

type Raw = Record<string, unknown> | null;

function sessionRef(raw: Raw): { study_id: string; round: number; round_tag: string } {
  if (typeof raw?.study_id !== 'string') throw new DomainError('INVALID_INPUT', 'study_id must be a string');
  if (!Number.isInteger(raw.round) || (raw.round as number) < 1)
    throw new DomainError('INVALID_INPUT', 'round must be a positive integer');
  if (typeof raw.round_tag !== 'string' || raw.round_tag.length === 0 || raw.round_tag.length > 200)
    throw new DomainError('INVALID_INPUT', "round_tag must be the task's secure_aggregation.round_tag");
  return { study_id: raw.study_id, round: raw.round as number, round_tag: raw.round_tag };
}

function binary(value: unknown, name: string, bytes: { min: number; max: number }): Uint8Array {
  if (!(value instanceof Uint8Array) || value.length < bytes.min || value.length > bytes.max) {
    const size = bytes.min === bytes.max ? `${bytes.min}` : `${bytes.min}..${bytes.max}`;
    throw new DomainError('INVALID_INPUT', `${name} must be binary (a Uint8Array) of ${size} bytes`);
  }
  return value;
}

/**
 * `secagg:keys`, checked by hand as upload frames are (binary fields, which DTO validation does not
 * cover): two 32-byte X25519 public keys.
 */
export function secaggKeys(value: unknown): SecAggKeysPayload {
  const raw = value as Raw;
  return {
    ...sessionRef(raw),
    c_public: binary(raw?.c_public, 'c_public', { min: 32, max: 32 }),
    s_public: binary(raw?.s_public, 's_public', { min: 32, max: 32 }),
  };
}

/** `secagg:shares`: one sealed share pair per peer. */
export function secaggShares(value: unknown): SecAggSharesPayload {
  const raw = value as Raw;
  const ref = sessionRef(raw);
  if (!Array.isArray(raw?.shares) || raw.shares.length > MAX_SHARES)
    throw new DomainError('INVALID_INPUT', `shares must be an array of at most ${MAX_SHARES} sealed shares`);
  const shares = raw.shares.map((s: unknown, i: number) => {
    const share = s as Raw;
    if (!Number.isInteger(share?.to))
      throw new DomainError('INVALID_INPUT', `shares[${i}].to must be a site number`);
    return {
      to: share?.to as number,
      sealed: binary(share?.sealed, `shares[${i}].sealed`, { min: 1, max: MAX_SEALED_BYTES }),
    };
  });
  return { ...ref, shares };
}
