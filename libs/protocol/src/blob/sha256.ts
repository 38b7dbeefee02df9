import { createHash } from 'node:crypto';

/**
 * Hex sha256 of a blob: the name a blob goes by in task messages, uploads and the content-addressed
 * store (DESIGN.md "Wire format").
 *
 * @example
 * blobSha256(new Uint8Array()); // 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'
 */
export function blobSha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
