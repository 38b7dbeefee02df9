import { describe, expect, it } from '@jest/globals';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BlobReferences } from './blob-references';
import { BlobRetention } from './blob-retention';
import { FileBlobStore } from './blob-store';

/** References held in memory; `fail` makes the next read throw (a database gone for a moment). */
class FixedReferences extends BlobReferences {
  readonly live = new Set<string>();
  reads = 0;
  fail = false;
  async referenced(): Promise<ReadonlySet<string>> {
    this.reads++;
    if (this.fail) {
      this.fail = false;
      throw new Error('database unavailable');
    }
    return new Set(this.live);
  }
}

function setUp() {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'fedaln-retention-unit-'));
  const references = new FixedReferences();
  const warnings: string[] = [];
  const logger = { info: () => undefined, warn: (_: unknown, msg?: string) => void warnings.push(msg ?? '') };
  return { root, references, warnings, logger };
}

describe('BlobRetention', () => {
  it('sweeps when a round completes or fails, not on other changes, and keeps what is referenced', async () => {
    const { root, references, logger } = setUp();
    const old = new FileBlobStore(root); // written by a previous process
    const kept = await old.put(Buffer.from('global v1'));
    const gone = await old.put(Buffer.from('an update of a finished round'));
    references.live.add(kept.sha256);
    const store = new FileBlobStore(root);
    const retention = new BlobRetention(store, references, logger, 0);
    retention.onChange({ round: { state: 'evaluating' } });
    await retention.idle();
    expect(references.reads).toBe(0);
    await expect(store.has(gone.sha256)).resolves.toBe(true);
    retention.onChange({ round: { state: 'completed' } });
    await retention.idle();
    await expect(store.has(gone.sha256)).resolves.toBe(false);
    await expect(store.has(kept.sha256)).resolves.toBe(true);
    const again = await old.put(Buffer.from('an update of a failed round'));
    retention.onChange({ round: { state: 'failed' } });
    await retention.idle();
    await expect(store.has(again.sha256)).resolves.toBe(false);
  });

  it('runs one sweep at a time: requests during a sweep make one more, not one each', async () => {
    const { root, references, logger } = setUp();
    const retention = new BlobRetention(new FileBlobStore(root), references, logger, 0);
    for (let i = 0; i < 5; i++) retention.onChange({ round: { state: 'completed' } });
    await retention.idle();
    expect(references.reads).toBe(2);
  });

  it('a failed sweep is logged, not thrown, and the next round end sweeps again', async () => {
    const { root, references, warnings, logger } = setUp();
    const gone = await new FileBlobStore(root).put(Buffer.from('unreferenced'));
    const store = new FileBlobStore(root);
    const retention = new BlobRetention(store, references, logger, 0);
    references.fail = true;
    retention.onChange({ round: { state: 'completed' } });
    await retention.idle();
    expect(warnings).toEqual(['blob store sweep failed; the next round end retries it']);
    await expect(store.has(gone.sha256)).resolves.toBe(true);
    retention.onChange({ round: { state: 'completed' } });
    await retention.idle();
    await expect(store.has(gone.sha256)).resolves.toBe(false);
  });

  it("keeps what this process wrote until the sweep after next (a writer's row may not be committed yet)", async () => {
    const { root, references, logger } = setUp();
    const store = new FileBlobStore(root);
    const retention = new BlobRetention(store, references, logger, 0);
    const pending = await store.put(Buffer.from('stored, row not yet committed'));
    await expect(retention.sweep()).resolves.toEqual([]);
    await expect(retention.sweep()).resolves.toEqual([pending.sha256]);
  });
});
