/**
 * A CSV field as RFC 4180 §2 writes it: quoted when it holds a comma, a quote or a line break, with
 * inner quotes doubled.
 *
 * @example csvField('a,b.png') // '"a,b.png"'
 */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}
