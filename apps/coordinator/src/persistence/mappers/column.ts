/**
 * Column value normalisers shared by the mappers. `pg` returns bigint as a string and PGlite as a
 * number; timestamps may be Date objects from another realm (PGlite under jest), so both are coerced
 * rather than type-checked.
 */
export function toDate(v: unknown): Date {
  return new Date(v as string | number | Date);
}

export function toDateOrNull(v: unknown): Date | null {
  return v === null || v === undefined ? null : toDate(v);
}

export function toNumberOrNull(v: unknown): number | null {
  return v === null || v === undefined ? null : Number(v);
}

/** Narrows a stored string to one of the known literals, failing loudly on a corrupt row. */
export function oneOf<T extends string>(allowed: readonly T[], v: unknown, column: string): T {
  const hit = allowed.find((a) => a === v);
  if (hit === undefined) throw new Error(`unexpected ${column} ${JSON.stringify(v)} in the database`);
  return hit;
}
