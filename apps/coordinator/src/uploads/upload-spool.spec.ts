import { describe, expect, it } from '@jest/globals';
import { FRAME_BYTES } from '@fedaln/protocol';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { UploadSpool } from './upload-spool';

const bytes = new Uint8Array(2 * FRAME_BYTES + 1234).map((_, i) => (i * 31 + 7) & 0xff);
const sha256 = createHash('sha256').update(bytes).digest('hex');
const frame = (i: number) => bytes.subarray(i * FRAME_BYTES, Math.min(bytes.length, (i + 1) * FRAME_BYTES));
const key = { studyId: 's', round: 1, siteId: 'a', sha256, bytes: bytes.length };

describe('UploadSpool', () => {
  it('resumes after a restart from the whole frames on disk, cutting a torn one, and verifies the sha256', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'spool-'));
    const first = UploadSpool.open(root, key);
    expect(first.accept(0, frame(0))).toMatchObject({ ok: true, next_frame: 1 });
    first.close(); // the process dies here…
    fs.appendFileSync(first.file, frame(1).subarray(0, 1000)); // …with half of frame 1 written

    const second = UploadSpool.open(root, key);
    expect(second.nextFrame).toBe(1);
    expect(second.accept(1, frame(1))).toMatchObject({ ok: true, next_frame: 2 });
    expect(second.accept(2, frame(2))).toMatchObject({ ok: true, next_frame: 3 });
    const done = second.finish();
    expect(done).toMatchObject({ ok: true, sha256 });
    if (!done.ok) throw new Error('not finished');
    expect(Buffer.compare(fs.readFileSync(done.file), Buffer.from(bytes))).toBe(0);
    expect(fs.existsSync(second.file)).toBe(false); // moved off the spool's name
  });

  it('a begin of the same update after finish gets a spool of its own: the verified bytes stay as hashed', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'spool-'));
    const spool = UploadSpool.open(root, key);
    for (let i = 0; i < 3; i++) spool.accept(i, frame(i));
    const done = spool.finish();
    if (!done.ok) throw new Error('not finished');
    // A hostile site announces the same sha256 with a larger size while the coordinator checks the
    // update: on the old shared name this cut the verified file back to its whole frames.
    const again = UploadSpool.open(root, { ...key, bytes: key.bytes + 5000 });
    expect(again.nextFrame).toBe(0);
    expect(again.accept(0, frame(0))).toMatchObject({ ok: true, next_frame: 1 });
    again.close();
    expect(Buffer.compare(fs.readFileSync(done.file), Buffer.from(bytes))).toBe(0);
  });

  it('deletes the file when the bytes do not hash to the announced sha256', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'spool-'));
    const wrong = UploadSpool.open(root, { ...key, sha256: '0'.repeat(64) });
    for (let i = 0; i < 3; i++) wrong.accept(i, frame(i));
    expect(wrong.finish()).toMatchObject({ ok: false, code: 'sha256_mismatch' });
    expect(fs.existsSync(wrong.file)).toBe(false);
  });

  it("drops the site's partial of another update when a new one begins", () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'spool-'));
    const old = UploadSpool.open(root, { ...key, sha256: 'f'.repeat(64) });
    old.accept(0, frame(0));
    old.close();
    const fresh = UploadSpool.open(root, key);
    expect(fs.existsSync(old.file)).toBe(false);
    expect(fresh.nextFrame).toBe(0);
    fresh.discard();
  });
});
