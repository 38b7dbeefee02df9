import * as fs from 'node:fs';
import * as path from 'node:path';
import type { BlobStore } from '../blobs/blob-store';
import { DomainError } from '../domain/domain-error';
import { PRIVATE_DIR_MODE } from '../persistence/private-dir';

const SHARD = /^group\d+-shard\d+of\d+\.bin$/;

/**
 * The tfjs layers-format copy of a released weights blob (`model.json` + weight shards), made on
 * first request under `<data-dir>/releases/v<version>/layers` and kept: a release never changes.
 * Conversion rebuilds the architecture with `@fedaln/model` (loaded lazily, like the initial model
 * factory), so a coordinator that never serves model.json never loads tfjs.
 */
export class ReleaseArtifacts {
  private readonly pending = new Map<number, Promise<string>>();

  constructor(
    private readonly root: string,
    private readonly blobs: BlobStore,
  ) {}

  /**
   * The path of `file` (model.json or a shard) of release `version`, converting on first use.
   *
   * @example await artifacts.file(3, 'd0c…', 224, 'model.json') // '<data>/releases/v3/layers/model.json'
   */
  async file(version: number, sha256: string, inputSize: number, file: string): Promise<string> {
    if (file !== 'model.json' && !SHARD.test(file))
      throw new DomainError('RELEASE_NOT_FOUND', `release v${version} has no file ${file}`);
    const dir = await this.layersDir(version, sha256, inputSize);
    const full = path.join(dir, file);
    if (!fs.existsSync(full))
      throw new DomainError('RELEASE_NOT_FOUND', `release v${version} has no file ${file}`);
    return full;
  }

  private layersDir(version: number, sha256: string, inputSize: number): Promise<string> {
    const dir = path.join(this.root, `v${version}`, 'layers');
    if (fs.existsSync(path.join(dir, 'model.json'))) return Promise.resolve(dir);
    let job = this.pending.get(version);
    if (!job) {
      job = this.convert(dir, sha256, inputSize).finally(() => this.pending.delete(version));
      this.pending.set(version, job);
    }
    return job;
  }

  private async convert(dir: string, sha256: string, inputSize: number): Promise<string> {
    const opened = await this.blobs.open(sha256);
    if (!opened)
      throw new DomainError('MODEL_NOT_FOUND', `the released weights ${sha256} are not in the blob store`);
    const chunks: Buffer[] = [];
    for await (const c of opened.stream) chunks.push(c as Buffer);
    const model = await import('@fedaln/model');
    await model.selectEngine();
    // Written beside, then renamed: a crash mid-write never leaves a model.json without its shards.
    const tmp = `${dir}.${process.pid}.tmp`;
    await fs.promises.rm(tmp, { recursive: true, force: true });
    await model.blobToLayersDir(new Uint8Array(Buffer.concat(chunks)), tmp, { inputSize });
    await fs.promises.mkdir(path.dirname(dir), { recursive: true, mode: PRIVATE_DIR_MODE });
    await fs.promises.rename(tmp, dir);
    return dir;
  }
}
