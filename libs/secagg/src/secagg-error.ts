/**
 * The one error type of secure aggregation: a code a caller can switch on, and a message that names
 * the bad value, what was expected, and what to do.
 */
export type SecAggErrorCode =
  | 'malformed_share'
  | 'duplicate_share'
  | 'too_few_shares'
  | 'bad_parameters'
  | 'bad_roster'
  | 'bad_message'
  | 'update_rejected'
  | 'both_secrets_requested'
  | 'too_few_survivors'
  | 'wrong_phase';

export class SecAggError extends Error {
  constructor(
    readonly code: SecAggErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'SecAggError';
  }
}
