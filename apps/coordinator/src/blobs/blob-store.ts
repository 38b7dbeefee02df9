import { createHash, randomBytes } from 'node:crypto';
import { crashPoint } from '../config/crash-point';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { DomainError } from '../domain/domain-error';
import { PRIVATE_DIR_MODE } from '../persistence/private-dir';

export interface StoredBlob {
  readonly sha256: string;
  readonly bytes: number;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** Port: a content-addressed store of weight blobs, each named by the sha256 of its bytes. */
export abstract class BlobStore {
  /** Stores `data`; when `expectedSha256` is given, refuses bytes that do not hash to it. */
  abstract put(data: Uint8Array, expectedSha256?: string): Promise<StoredBlob>;
  /**
   * Moves into the store a file whose bytes the caller has already verified to hash to `sha256`
   * (an upload spool checks every frame as it lands): renamed, not read, hashed or copied again.
   * The file must be on the store's file system and must not change afterwards; when the blob is
   * already stored the file is removed.
   */
  abstract adopt(file: string, sha256: string): Promise<StoredBlob>;
  /**
   * Stores the concatenation of the chunks `produce` yields, hashing as it writes, so a blob never
   * has to be whole in memory. Each chunk is written before the next is asked for (a producer may
   * reuse its buffer).
   */
  abstract putChunks(produce: () => Iterable<Uint8Array>): Promise<StoredBlob>;
  abstract has(sha256: string): Promise<boolean>;
  /** A read stream of the blob, or null when absent. */
  abstract open(sha256: string): Promise<{ stream: Readable; bytes: number } | null>;
  /**
   * A file on this machine holding the blob, for positional reads (an update is folded from it in
   * chunks), or null when absent. The store never rewrites a blob's file in place.
   */
  abstract localFile(sha256: string): Promise<string | null>;
  /**
   * Removes every stored blob that `keep` refuses, except one this store wrote or stored again at
   * or after `storedBefore` (ms since the epoch): a writer whose reference is not committed yet
   * keeps its blob. A blob is checked and removed in one step, so a write of the same bytes racing
   * the removal either keeps the blob or writes it again. Resolves the sha256s removed.
   */
  abstract removeUnreferenced(keep: (sha256: string) => boolean, storedBefore: number): Promise<string[]>;
  /**
   * Removes the temporary files a crash left mid-write (a blob's bytes are written to a temporary,
   * fsynced, then renamed into place, so a SIGKILL between the two leaves the temporary behind, never
   * a partial blob). Only safe while nothing writes to the store: the coordinator calls it at boot,
   * before recovery restarts an aggregation. Resolves the files removed.
   */
  abstract removeTemporaries(): Promise<string[]>;
}

/** A temporary of {@link FileBlobStore}: `.incoming.<random>.tmp` at the root, `.<sha256>.<random>.tmp` in a fan-out folder. */
const TEMPORARY = /^\.(incoming|[0-9a-f]{64})\.[0-9a-f]{12}\.tmp$/;
/** A fan-out folder: the first two hex digits of the sha256s it holds. */
const FAN_OUT = /^[0-9a-f]{2}$/;

/**
 * Files under `<data-dir>/blobs/ab/abcdef…`. A blob is written to a temporary file, fsynced, then
 * renamed into place, so a crash never leaves a partial file under a valid name; the directory is
 * fsynced so the rename itself survives a crash.
 */
export class FileBlobStore extends BlobStore {
  /** When this process last wrote or stored again each blob (ms), for {@link removeUnreferenced}. */
  private readonly written = new Map<string, number>();

  constructor(private readonly root: string) {
    super();
  }

  /** Noted before the write looks for the blob, so a removal racing it is seen (removeUnreferenced). */
  private noteWrite(sha256: string): void {
    this.written.set(sha256, Date.now());
  }

  private pathOf(sha256: string): string {
    if (!SHA256_HEX.test(sha256)) throw new DomainError('MODEL_NOT_FOUND', `not a sha256: ${sha256}`);
    return path.join(this.root, sha256.slice(0, 2), sha256);
  }

  async put(data: Uint8Array, expectedSha256?: string): Promise<StoredBlob> {
    const sha256 = createHash('sha256').update(data).digest('hex');
    if (expectedSha256 !== undefined && expectedSha256 !== sha256) {
      throw new DomainError('BLOB_HASH_MISMATCH', `blob hashes to ${sha256}, expected ${expectedSha256}`);
    }
    this.noteWrite(sha256);
    await this.install(sha256, (tmp) => fs.promises.writeFile(tmp, data, { flag: 'wx' }));
    return { sha256, bytes: data.byteLength };
  }

  async adopt(file: string, sha256: string): Promise<StoredBlob> {
    const { size } = await fs.promises.stat(file);
    this.noteWrite(sha256);
    if (await this.has(sha256)) {
      await fs.promises.rm(file, { force: true });
      return { sha256, bytes: size };
    }
    await this.install(sha256, async (tmp) => {
      try {
        await fs.promises.rename(file, tmp);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EXDEV') throw e;
        // Another file system (a data dir split across mounts): copy, then drop the original.
        await fs.promises.copyFile(file, tmp, fs.constants.COPYFILE_EXCL);
        await fs.promises.rm(file, { force: true });
      }
    });
    return { sha256, bytes: size };
  }

  async putChunks(produce: () => Iterable<Uint8Array>): Promise<StoredBlob> {
    await fs.promises.mkdir(this.root, { recursive: true, mode: PRIVATE_DIR_MODE });
    const tmp = path.join(this.root, `.incoming.${randomBytes(6).toString('hex')}.tmp`);
    const hash = createHash('sha256');
    let bytes = 0;
    const fd = fs.openSync(tmp, 'wx');
    try {
      for (const chunk of produce()) {
        hash.update(chunk);
        for (let done = 0; done < chunk.length;) {
          done += fs.writeSync(fd, chunk, done, chunk.length - done);
        }
        bytes += chunk.length;
      }
      fs.fsyncSync(fd);
    } catch (e) {
      fs.closeSync(fd);
      fs.rmSync(tmp, { force: true });
      throw e;
    }
    fs.closeSync(fd);
    crashPoint('aggregation:model-synced'); // putChunks writes only aggregated models
    const sha256 = hash.digest('hex');
    this.noteWrite(sha256);
    if (await this.has(sha256)) {
      fs.rmSync(tmp, { force: true });
      return { sha256, bytes };
    }
    await this.install(sha256, (target) => fs.promises.rename(tmp, target));
    return { sha256, bytes };
  }

  /**
   * Has `write` create a temporary file, fsyncs it and renames it into place, then fsyncs the
   * directory, so a crash never leaves a partial file under a valid name; a blob already present is
   * left alone.
   */
  private async install(sha256: string, write: (tmp: string) => Promise<void>): Promise<void> {
    const target = this.pathOf(sha256);
    if (await this.has(sha256)) return;
    const dir = path.dirname(target);
    await fs.promises.mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
    const tmp = path.join(dir, `.${sha256}.${randomBytes(6).toString('hex')}.tmp`);
    await write(tmp);
    const file = await fs.promises.open(tmp, 'r+');
    try {
      await file.sync();
    } finally {
      await file.close();
    }
    await fs.promises.rename(tmp, target);
    const dirHandle = await fs.promises.open(dir, 'r');
    try {
      await dirHandle.sync();
    } finally {
      await dirHandle.close();
    }
  }

  async removeUnreferenced(keep: (sha256: string) => boolean, storedBefore: number): Promise<string[]> {
    const removed: string[] = [];
    for (const fan of await listDir(this.root)) {
      if (!FAN_OUT.test(fan)) continue;
      for (const sha256 of await listDir(path.join(this.root, fan))) {
        if (!SHA256_HEX.test(sha256) || keep(sha256)) continue;
        // Checked and removed without yielding: a write noted after this sees the blob gone.
        const written = this.written.get(sha256);
        if (written !== undefined && written >= storedBefore) continue;
        this.removeFile(path.join(this.root, fan, sha256));
        this.written.delete(sha256);
        removed.push(sha256);
      }
    }
    for (const [sha256, at] of this.written) if (at < storedBefore) this.written.delete(sha256);
    return removed;
  }

  /** One blob's file, removed synchronously (see removeUnreferenced). */
  protected removeFile(file: string): void {
    fs.rmSync(file, { force: true });
  }

  async removeTemporaries(): Promise<string[]> {
    const removed: string[] = [];
    const sweep = async (dir: string) => {
      const names = await listDir(dir);
      for (const name of names) {
        if (!TEMPORARY.test(name)) continue;
        const file = path.join(dir, name);
        await fs.promises.rm(file, { force: true });
        removed.push(file);
      }
      return names;
    };
    for (const name of await sweep(this.root)) {
      if (FAN_OUT.test(name)) await sweep(path.join(this.root, name));
    }
    return removed;
  }

  async has(sha256: string): Promise<boolean> {
    try {
      await fs.promises.access(this.pathOf(sha256));
      return true;
    } catch {
      return false;
    }
  }

  async localFile(sha256: string): Promise<string | null> {
    return (await this.has(sha256)) ? this.pathOf(sha256) : null;
  }

  async open(sha256: string): Promise<{ stream: Readable; bytes: number } | null> {
    try {
      const file = this.pathOf(sha256);
      const { size } = await fs.promises.stat(file);
      return { stream: fs.createReadStream(file), bytes: size };
    } catch {
      return null;
    }
  }
}

/** A folder's entries; none when it does not exist (yet). */
async function listDir(dir: string): Promise<string[]> {
  return fs.promises.readdir(dir).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return [] as string[];
    throw e;
  });
}
