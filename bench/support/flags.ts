/** Command-line flags of the benchmarks (`--name value`), shared by every bench/*.bench.ts. */

/** The number after `name`, or `fallback` when the flag is absent. */
export function numberFlag(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

/** The string after `name`, or `fallback` when the flag (or its value) is absent. */
export function stringFlag(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}
