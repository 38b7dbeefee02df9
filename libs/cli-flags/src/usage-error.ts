/**
 * A bad command line. The CLI prints `message` — the flag, the bad value and what was expected — and
 * exits with {@link UsageError.exitCode}, so scripts can tell bad input (2) from a failure (1).
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  readonly exitCode = 2;
}
