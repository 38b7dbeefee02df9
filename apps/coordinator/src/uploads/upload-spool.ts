import { ChunkReceiver, FRAME_BYTES, type Ack, type FrameAccepted } from '@fedaln/protocol';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Which upload a spool file belongs to: one site's update for one round, named by its sha256 and size. */
export interface UploadKey {
  readonly studyId: string;
  readonly round: number;
  readonly siteId: string;
  readonly sha256: string;
  readonly bytes: number;
}

const REPLAY_CHUNK = 8 * FRAME_BYTES;

/**
 * One partial upload on disk: frames go straight from the socket to
 * `<data-dir>/uploads/<study>/<round>/<site>.<sha256>.<bytes>.part` at their offset, hashed as they
 * land, so the coordinator never holds an upload in memory and a restart resumes from the whole
 * frames the file already has (a torn last frame is cut off). Opening a spool reads back and
 * re-hashes what the file holds (a node:crypto Hash cannot be saved): `SpoolShelf` keeps the open
 * spools of this process, so that happens once per spool after a restart, not at every begin. The
 * size is part of the name so that two announcements of one sha256 with different sizes never
 * share (and truncate) one file.
 *
 * @example
 * const spool = UploadSpool.open(root, key); // spool.nextFrame: where the site resumes
 * spool.accept(index, data);
 * const done = spool.finish(); // sha256 verified; done.file holds the blob, under a name of its own
 */
export class UploadSpool {
  private fd: number | null;
  private readonly receiver: ChunkReceiver;

  private constructor(
    readonly key: UploadKey,
    readonly file: string,
  ) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    this.fd = fs.openSync(file, fs.existsSync(file) ? 'r+' : 'w+');
    const size = fs.fstatSync(this.fd).size;
    const frames = Math.ceil(key.bytes / FRAME_BYTES);
    const whole = size >= key.bytes ? frames : Math.min(frames, Math.floor(size / FRAME_BYTES));
    const kept = Math.min(key.bytes, whole * FRAME_BYTES);
    // Only a torn last frame is cut: truncating a new (empty) file would make ext4 flush all of it
    // when the spool closes (auto_da_alloc), 3–40 ms of upload:end for 80 MB.
    if (size !== kept) fs.ftruncateSync(this.fd, kept);
    this.receiver = new ChunkReceiver({
      totalBytes: key.bytes,
      sha256: key.sha256,
      resumeFrom: whole,
      sink: (chunk, offset) => {
        fs.writeSync(this.fd as number, chunk, 0, chunk.length, offset);
      },
    });
    const buffer = Buffer.allocUnsafe(Math.min(REPLAY_CHUNK, Math.max(kept, 1)));
    for (let at = 0; at < kept;) {
      const n = fs.readSync(this.fd, buffer, 0, Math.min(buffer.length, kept - at), at);
      this.receiver.replay(buffer.subarray(0, n));
      at += n;
    }
  }

  /** Opens (or resumes) the spool of `key`, dropping the site's partials of any other update. */
  static open(root: string, key: UploadKey): UploadSpool {
    const file = UploadSpool.fileOf(root, key);
    const dir = path.dirname(file);
    const name = path.basename(file);
    if (fs.existsSync(dir)) {
      for (const other of fs.readdirSync(dir)) {
        if (other.startsWith(`${key.siteId}.`) && other !== name)
          fs.rmSync(path.join(dir, other), { force: true });
      }
    }
    return new UploadSpool(key, file);
  }

  /** Where the spool of `key` lives; the folder of its round is `roundDir`. */
  static fileOf(root: string, key: UploadKey): string {
    return path.join(
      UploadSpool.roundDir(root, key.studyId, key.round),
      `${key.siteId}.${key.sha256}.${key.bytes}.part`,
    );
  }

  static roundDir(root: string, studyId: string, round: number): string {
    return path.join(root, studyId, String(round));
  }

  /** False once finished, closed or discarded: frames are refused and a begin needs a new spool. */
  get isOpen(): boolean {
    return this.fd !== null;
  }

  get nextFrame(): number {
    return this.receiver.nextFrame;
  }

  get frames(): number {
    return this.receiver.frames;
  }

  accept(index: number, data: Uint8Array): Ack<FrameAccepted> {
    if (this.fd === null) return { ok: false, code: 'bad_request', message: 'this upload is closed' };
    return this.receiver.accept(index, data);
  }

  /**
   * Verifies completeness and sha256 and closes the file (a mismatching file is deleted). A verified
   * file is renamed to `file` of the result, a name `open` never reuses or removes: an `upload:begin`
   * of the same update arriving while this one is checked and stored gets a spool of its own, so it
   * cannot cut or rewrite the bytes whose hash was verified (the blob store adopts them unhashed).
   * A coordinator killed before the blob is stored leaves that file behind (`.<site>.<sha256>.*.verified`).
   */
  finish(): Ack<{ sha256: string; file: string }> {
    const result = this.receiver.finish();
    if (result.ok || result.code === 'sha256_mismatch') this.close();
    if (!result.ok) {
      if (result.code === 'sha256_mismatch') this.discard();
      return result;
    }
    const name = `.${this.key.siteId}.${this.key.sha256}.${randomBytes(6).toString('hex')}.verified`;
    const verified = path.join(path.dirname(this.file), name);
    fs.renameSync(this.file, verified);
    return { ...result, file: verified };
  }

  close(): void {
    if (this.fd !== null) fs.closeSync(this.fd);
    this.fd = null;
  }

  discard(): void {
    this.close();
    fs.rmSync(this.file, { force: true });
  }
}
