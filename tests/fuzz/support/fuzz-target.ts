/**
 * One fuzz target: the property every input must keep is in `run` — it returns normally on an input
 * the code under test accepts (after checking what it returned) or refuses with one of its documented
 * error types, and throws anything else (an undocumented error, a {@link PropertyViolation}).
 */
export interface FuzzTarget {
  readonly name: string;
  /** What the target feeds and the documented errors it allows. */
  readonly description: string;
  /** Tokens the mutator inserts (field names, delimiters, keywords). */
  readonly dictionary: readonly string[];
  /**
   * Dependencies whose coverage guides this target as well as the project's own code (path parts such
   * as '/node_modules/class-validator/'), where the checks the target exercises live.
   */
  readonly coverageOf?: readonly string[];
  /** Mutated inputs are cut to this many bytes. */
  readonly maxLength: number;
  run(data: Uint8Array): void | Promise<void>;
}

/** An accepted input whose result breaks the documented contract. */
export class PropertyViolation extends Error {
  override readonly name = 'PropertyViolation';
}

/** Throws a {@link PropertyViolation} with `message` unless `ok`. */
export function expectThat(ok: boolean, message: () => string): void {
  if (!ok) throw new PropertyViolation(message());
}

/** Rethrows `e` unless it is one of `allowed` (the documented refusals of the code under test). */
export function allowOnly(e: unknown, ...allowed: (abstract new (...args: never[]) => Error)[]): void {
  if (allowed.some((type) => e instanceof type)) return;
  throw e;
}

/** Input bytes as text, as `readFileSync(file, 'utf8')` reads a file (bad UTF-8 becomes U+FFFD). */
export function utf8(data: Uint8Array): string {
  return new TextDecoder('utf-8').decode(data);
}
