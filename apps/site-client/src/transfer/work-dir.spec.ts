import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { releasedReport } from '@fedaln/metrics';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { WorkDir } from './work-dir';

const mode = (p: string): number => fs.statSync(p).mode & 0o777;

// Issue 14: the site's folders are its own user's only, and it keeps what it sent.
describe('WorkDir under umask 022', () => {
  let root: string;
  let umask: number;
  beforeAll(() => {
    umask = process.umask(0o022);
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'fedaln-work-dir-'));
  });
  afterAll(() => {
    process.umask(umask);
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('creates its folders 0700 and narrows an existing 0755 work directory', async () => {
    const dir = path.join(root, 'work');
    fs.mkdirSync(dir, { mode: 0o755 });
    await new WorkDir(dir).init();
    for (const d of [dir, ...['models', 'uploads', 'reports'].map((s) => path.join(dir, s))])
      expect(mode(d)).toBe(0o700);
  });

  it('keeps a 0600 copy of each report sent, the later one of a round replacing the earlier', async () => {
    const work = new WorkDir(path.join(root, 'work'));
    await work.init();
    const labels = Array.from({ length: 30 }, (_, i) => i % 2);
    const payload = {
      study_id: '8f14e45f-ceea-467f-a0e6-1b5c6d7e8f90',
      round: 3,
      model_version: 3,
      model_sha256: 'ab'.repeat(32),
      report: releasedReport({ labels, scores: labels.map((y, i) => 0.3 * y + i / 100) }),
    };
    await work.saveSentReport(payload, 5);
    const file = await work.saveSentReport({ ...payload, model_version: 3 }, 5);
    expect(path.basename(file)).toBe('8f14e45f-ceea-467f-a0e6-1b5c6d7e8f90-r3.json');
    expect(fs.readdirSync(work.reportsDir)).toEqual([path.basename(file)]);
    expect(mode(file)).toBe(0o600);
    const kept = JSON.parse(fs.readFileSync(file, 'utf8'));
    expect(kept).toMatchObject({ ...payload, min_cell_count: 5, sent_at: expect.any(String) });
  });
});

describe('WorkDir model cache', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'fedaln-work-models-'));
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
  const blob = (text: string) => {
    const bytes = new Uint8Array(Buffer.from(text));
    return { bytes, sha: createHash('sha256').update(bytes).digest('hex') };
  };
  const kept = (dir: string) =>
    fs
      .readdirSync(path.join(dir, 'models'))
      .filter((n) => n.endsWith('.blob'))
      .sort();
  async function storeInOrder(work: WorkDir, models: { bytes: Uint8Array; sha: string }[]) {
    for (const m of models) await work.storeModel(m.sha, m.bytes);
  }

  it('keeps only the last two global models it stored (the current and the previous)', async () => {
    const work = new WorkDir(path.join(root, 'last-two'));
    await work.init();
    const models = ['v0', 'v1', 'v2', 'v3'].map(blob);
    await storeInOrder(work, models);
    expect(kept(work.dir)).toEqual([`${models[2]!.sha}.blob`, `${models[3]!.sha}.blob`].sort());
    await expect(work.cachedModel(models[3]!.sha)).resolves.toEqual(models[3]!.bytes);
    await expect(work.cachedModel(models[0]!.sha)).resolves.toBeNull();
  });

  it('never prunes a pinned model, and counts a cache hit as a use', async () => {
    const work = new WorkDir(path.join(root, 'pinned'));
    await work.init();
    const [a, b, c, d, e] = ['a', 'b', 'c', 'd', 'e'].map(blob);
    await storeInOrder(work, [a!]);
    await work.pinModel(a!.sha);
    await storeInOrder(work, [b!, c!]);
    await expect(work.cachedModel(b!.sha)).resolves.toEqual(b!.bytes); // b used again: more recent than c
    await storeInOrder(work, [d!]);
    expect(kept(work.dir)).toEqual([a!, b!, d!].map((m) => `${m.sha}.blob`).sort());
    await work.unpinModel(a!.sha);
    await storeInOrder(work, [e!]);
    expect(kept(work.dir)).toEqual([d!, e!].map((m) => `${m.sha}.blob`).sort());
  });
});
