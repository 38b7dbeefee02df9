import { describe, expect, it } from '@jest/globals';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readSeenReleases, recordSeenRelease, SEEN_RELEASES_FILE } from './seen-releases';

const seen = (version: number) => ({
  version,
  manifest_sha256: String(version).repeat(64).slice(0, 64),
  seen_at: 't',
});

describe('the newest release seen per study', () => {
  it('is empty at first, only grows, and keeps studies apart', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fedaln-seen-'));
    expect(await readSeenReleases(dir)).toEqual({});
    await recordSeenRelease(dir, 'A', seen(2));
    await recordSeenRelease(dir, 'A', seen(1)); // an older one pulled by number does not lower it
    await recordSeenRelease(dir, 'B', seen(3));
    expect(await readSeenReleases(dir)).toEqual({ A: seen(2), B: seen(3) });
    await recordSeenRelease(dir, 'A', seen(4));
    expect((await readSeenReleases(dir)).A).toEqual(seen(4));
    expect(fs.readdirSync(dir)).toEqual([SEEN_RELEASES_FILE]); // no temporary left behind
  });

  it('refuses a file it did not write, naming it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fedaln-seen-'));
    fs.writeFileSync(path.join(dir, SEEN_RELEASES_FILE), '{"A": {"version": "9"}}');
    await expect(readSeenReleases(dir)).rejects.toThrow(
      `${path.join(dir, SEEN_RELEASES_FILE)} is not a release-version record written by fedaln-site`,
    );
  });
});
