import type { BlobStore } from './blob-store';
import { DomainError } from '../domain/domain-error';

/**
 * The few weight blobs the coordinator serves or aggregates against at a time (the current global
 * model, and during aggregation the next), read once from the blob store and kept in memory, least
 * recently used dropped first.
 *
 * @example
 * const bytes = await cache.get(model.sha256);
 */
export class BlobCache {
  private readonly entries = new Map<string, Promise<Buffer>>();

  constructor(
    private readonly store: BlobStore,
    private readonly capacity = 2,
  ) {}

  get(sha256: string): Promise<Buffer> {
    const hit = this.entries.get(sha256);
    if (hit) {
      this.entries.delete(sha256);
      this.entries.set(sha256, hit);
      return hit;
    }
    const loading = this.load(sha256);
    loading.catch(() => this.entries.delete(sha256));
    this.entries.set(sha256, loading);
    while (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value as string);
    return loading;
  }

  /** Puts bytes the caller just stored, so serving them does not read them back. */
  remember(sha256: string, bytes: Buffer): void {
    this.entries.delete(sha256);
    this.entries.set(sha256, Promise.resolve(bytes));
    while (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value as string);
  }

  private load(sha256: string): Promise<Buffer> {
    return readStoredBlob(this.store, sha256);
  }
}

/**
 * A stored blob's bytes in one buffer of exactly its size (no intermediate copies).
 *
 * @example
 * const bytes = await readStoredBlob(blobs, participant.updateSha256);
 */
export async function readStoredBlob(store: BlobStore, sha256: string): Promise<Buffer> {
  const opened = await store.open(sha256);
  if (!opened) throw new DomainError('MODEL_NOT_FOUND', `blob ${sha256} is not in the blob store`);
  const out = Buffer.allocUnsafe(opened.bytes);
  let at = 0;
  for await (const chunk of opened.stream) {
    (chunk as Buffer).copy(out, at);
    at += (chunk as Buffer).length;
  }
  return out;
}
