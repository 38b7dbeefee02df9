import { describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { WorkDir } from './work-dir';

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

describe('WorkDir', () => {
  it('keeps an upload with its state until dropped, and ignores a blob that no longer matches', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'fedaln-site-work-'));
    const work = new WorkDir(dir);
    await work.init();
    const blob = new Uint8Array([1, 2, 3, 4, 5]);
    const state = {
      study_id: 'a/b',
      round: 3,
      model_version: 2,
      sha256: sha(blob),
      bytes: 5,
      n_train: 10,
      next_frame: 0,
      frames: 1,
    };
    expect(await work.pendingUpload('a/b', 3)).toBeNull();
    await work.saveUpload(state, blob);
    expect(await work.pendingUpload('a/b', 3)).toEqual({ state, blob: Buffer.from(blob) });
    await fs.writeFile(path.join(dir, 'uploads', 'a_b-r3.blob'), new Uint8Array([9, 9, 9, 9, 9]));
    expect(await work.pendingUpload('a/b', 3)).toBeNull(); // tampered or truncated: train again
    await work.dropUpload('a/b', 3);
    expect(await fs.readdir(path.join(dir, 'uploads'))).toEqual([]);
    await fs.rm(dir, { recursive: true });
  });

  it('serves a cached model only when its bytes hash to its name', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'fedaln-site-work-'));
    const work = new WorkDir(dir);
    await work.init();
    const model = new Uint8Array([7, 7, 7]);
    await work.storeModel(sha(model), model);
    expect(await work.cachedModel(sha(model))).toEqual(Buffer.from(model));
    await fs.writeFile(path.join(dir, 'models', `${sha(model)}.blob`), new Uint8Array([0]));
    expect(await work.cachedModel(sha(model))).toBeNull();
    await fs.rm(dir, { recursive: true });
  });
});

describe('WorkDir.init', () => {
  it("removes temporaries of writers that are gone and its own (pid 1 in a container), keeps a live one's and everything else", async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'fedaln-work-tmp-'));
    await fs.mkdir(path.join(dir, 'uploads'), { recursive: true });
    // 2^22 + 1 is above Linux's default pid_max (2^22 at most), so no process has it.
    const gone = path.join(dir, 'uploads', `study-r1.json.${2 ** 22 + 1}.tmp`);
    // A killed predecessor in a container had the same pid as this process: nothing written yet is ours.
    const own = path.join(dir, 'uploads', `study-r1.blob.${process.pid}.tmp`);
    const live = path.join(dir, 'uploads', `study-r1.json.${process.ppid}.tmp`); // the test runner
    const state = path.join(dir, 'uploads', 'study-r1.json');
    for (const f of [gone, own, live, state]) await fs.writeFile(f, '{}');
    await new WorkDir(dir).init();
    expect((await fs.readdir(path.join(dir, 'uploads'))).sort()).toEqual(
      [path.basename(live), path.basename(state)].sort(),
    );
  });
});
