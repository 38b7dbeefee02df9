/**
 * Trust on first use, stored: the site's work directory keeps what it pinned at first contact with
 * the coordinator (its release-signing key in `coordinator-key.json`, its TLS key in
 * `coordinator-tls.json`), one small JSON record per file, written once and never overwritten: a
 * legitimate change is made by a person deleting the file.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

/**
 * The record pinned in `<workDir>/<name>`, or null when nothing is pinned yet.
 *
 * @throws Error naming the file when it exists but is not JSON (delete it to pin again).
 * @example const pinned = await readPin<PinnedKey>(workDir, PINNED_KEY_FILE);
 */
export async function readPin<T>(workDir: string, name: string): Promise<T | null> {
  const file = path.join(workDir, name);
  const text = await fs.readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return null;
    throw e;
  });
  if (text === null) return null;
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new Error(`${file} is not a pin record (not JSON); delete it and connect again to pin anew`);
  }
}

/**
 * Writes `record` to `<workDir>/<name>` (creating the work dir) only if no pin exists: `wx` makes a
 * concurrent first contact fail rather than overwrite the other's pin.
 *
 * @example await writePin(workDir, PINNED_KEY_FILE, { ed25519_public_key, coordinator, pinned_at });
 */
export async function writePin(workDir: string, name: string, record: object): Promise<void> {
  await fs.mkdir(workDir, { recursive: true, mode: 0o700 });
  await fs.writeFile(path.join(workDir, name), JSON.stringify(record, null, 2), { flag: 'wx' });
}
