/**
 * Modes of what the coordinator keeps in its data directory (issue 14): folders only its own user may
 * enter, files only it may read. Sites' metrics reports, weight blobs, releases and the database live
 * there; under a umask of 022 they were world-readable.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

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

/**
 * Writes `value` as JSON to `dir/name` (0600, `dir` made 0700 if missing) so that a reader, or a
 * coordinator killed mid-write, sees the old file or the whole new one: a fresh temporary file,
 * flushed to disk, then renamed over the target (its name starts with a dot and ends in `.tmp`, so a
 * reader of `*.json` never takes it; one a crash left behind is never read).
 *
 * @example await writePrivateJson(path.join(root, studyId), 'post-training.json', { round: 3 });
 */
export async function writePrivateJson(dir: string, name: string, value: unknown): Promise<void> {
  await fs.promises.mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  const tmp = path.join(dir, `.${name}.${randomBytes(6).toString('hex')}.tmp`);
  const file = await fs.promises.open(tmp, 'wx', PRIVATE_FILE_MODE);
  try {
    await file.writeFile(JSON.stringify(value));
    await file.sync();
  } finally {
    await file.close();
  }
  await fs.promises.rename(tmp, path.join(dir, name));
}
