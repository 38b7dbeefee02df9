/**
 * The newest signed release this work dir has accepted, per study (`<work-dir>/release-versions.json`):
 * `pull latest` refuses an older one (a rollback an attacker on the network could serve by hiding
 * the newest from the unsigned release list). Versions only grow; the file is written atomically.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

export const SEEN_RELEASES_FILE = 'release-versions.json';

export interface SeenRelease {
  readonly version: number;
  readonly manifest_sha256: string;
  readonly seen_at: string;
}

/** File contents: study id → the newest release accepted for it. */
export type SeenReleases = Readonly<Record<string, SeenRelease>>;

/**
 * The store of `workDir`, empty when the file does not exist.
 *
 * @throws Error naming the file when it exists but is not what this code wrote.
 * @example (await readSeenReleases(workDir))[studyId]?.version
 */
export async function readSeenReleases(workDir: string): Promise<SeenReleases> {
  const file = path.join(workDir, SEEN_RELEASES_FILE);
  const text = await fs.readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return null;
    throw e;
  });
  if (text === null) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = null;
  }
  const valid =
    typeof value === 'object' &&
    value !== null &&
    Object.values(value).every(
      (v: Partial<SeenRelease>) => Number.isSafeInteger(v?.version) && typeof v?.manifest_sha256 === 'string',
    );
  if (!valid)
    throw new Error(
      `${file} is not a release-version record written by fedaln-site; restore it from backup (deleting it forgets which releases were seen, so an older one would be accepted again)`,
    );
  return value as SeenReleases;
}

/**
 * Records `seen` for `studyId` unless a newer version is already recorded.
 *
 * @example await recordSeenRelease(workDir, m.study_id, { version: m.version, manifest_sha256, seen_at: new Date().toISOString() });
 */
export async function recordSeenRelease(workDir: string, studyId: string, seen: SeenRelease): Promise<void> {
  const all = await readSeenReleases(workDir);
  if ((all[studyId]?.version ?? 0) >= seen.version) return;
  const file = path.join(workDir, SEEN_RELEASES_FILE);
  const tmp = `${file}.${process.pid}.tmp`;
  await fs.mkdir(workDir, { recursive: true });
  await fs.writeFile(tmp, `${JSON.stringify({ ...all, [studyId]: seen }, null, 2)}\n`);
  await fs.rename(tmp, file);
}
