/**
 * A bad command line: the CLI prints `message` (which names the flag, the bad value and what was
 * expected) and exits with code 2.
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  readonly exitCode = 2;
}
