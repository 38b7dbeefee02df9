/**
 * Coded domain errors (STYLE.md habit 3): services throw a `DomainError` whose `code` says what went
 * wrong; each transport maps codes to its own status once, with an exhaustive switch.
 *
 * @example
 * throw new DomainError('STUDY_NOT_FOUND', `no study with id ${id}`);
 */
export type DomainErrorCode =
  | 'SITE_NOT_FOUND'
  | 'SITE_REVOKED'
  | 'STUDY_NOT_FOUND'
  | 'STUDY_SPEC_INVALID'
  | 'STUDY_UNKNOWN_SITES'
  | 'STUDY_ILLEGAL_COMMAND'
  | 'ROUND_NOT_FOUND'
  | 'ROUND_ILLEGAL_TRANSITION'
  /** A site acted in a round that is not the study's current one, or not in the state the act needs. */
  | 'ROUND_NOT_CURRENT'
  | 'ROUND_DEADLINE_PASSED'
  /** An upload whose n_train exceeds the site's approved case count (or the study's cap), or with none approved. */
  | 'CASES_NOT_APPROVED'
  | 'MODEL_NOT_FOUND'
  | 'RELEASE_NOT_FOUND'
  | 'RELEASE_REFUSED'
  | 'BLOB_HASH_MISMATCH'
  /** An upload or download id that this site does not have open. */
  | 'TRANSFER_NOT_FOUND'
  /** A transfer frame with a wrong size, or an index out of range or outside the window. */
  | 'TRANSFER_BAD_FRAME'
  /** A request whose payload is malformed; the message names the field. */
  | 'INVALID_INPUT'
  | 'UNAUTHENTICATED'
  /** A site sent a request more often than its limit allows; the message says when to retry. */
  | 'RATE_LIMITED'
  | 'FORBIDDEN';

export class DomainError extends Error {
  constructor(
    readonly code: DomainErrorCode,
    message: string,
    readonly details?: Readonly<Record<string, unknown>>,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

/**
 * Compile-time exhaustiveness: a switch over a union calls this in its `default`, so adding a member
 * without handling it fails to type-check.
 *
 * @example
 * default: return assertUnreachable(code);
 */
export function assertUnreachable(value: never): never {
  throw new Error(`unhandled case: ${JSON.stringify(value)}`);
}
