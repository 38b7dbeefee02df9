/**
 * Modes of what the coordinator keeps in its data directory (issue 14): folders only its own user may
 * enter, files only it may read. Sites' metrics reports, weight blobs, releases and the database live
 * there; under a umask of 022 they were world-readable.
 */
import * as fs from 'node:fs';

/** Folders of the data directory: owner only (rwx------). */
export const PRIVATE_DIR_MODE = 0o700;
/** Files that hold reports or state: owner read/write only (rw-------). */
export const PRIVATE_FILE_MODE = 0o600;

/**
 * Creates `dir` (and missing parents) as 0700, and narrows an existing `dir` to 0700: a data directory
 * made by an older coordinator under umask 022 is 0755. Returns the mode it had, or null when it was
 * created now.
 *
 * @example privateDataDir('/var/lib/fedaln'); // 0o755 the first time after an upgrade, then 0o700
 */
export function privateDataDir(dir: string): number | null {
  const before = fs.statSync(dir, { throwIfNoEntry: false });
  fs.mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  if (before && (before.mode & 0o777) !== PRIVATE_DIR_MODE) fs.chmodSync(dir, PRIVATE_DIR_MODE);
  return before ? before.mode & 0o777 : null;
}
