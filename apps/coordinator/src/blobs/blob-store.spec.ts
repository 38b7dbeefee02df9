import { describe, expect, it } from '@jest/globals';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FileBlobStore } from './blob-store';

// Reference digest: sha256("abc") from FIPS 180-2, appendix B.1.
const ABC_SHA256 = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c as Buffer));
  return Buffer.concat(chunks).toString();
}

describe('FileBlobStore', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'fedaln-blobs-'));
  const store = new FileBlobStore(root);

  it('names a blob by its sha256 and reads it back', async () => {
    await expect(store.put(Buffer.from('abc'))).resolves.toEqual({ sha256: ABC_SHA256, bytes: 3 });
    expect(fs.existsSync(path.join(root, 'ba', ABC_SHA256))).toBe(true);
    const opened = await store.open(ABC_SHA256);
    expect(opened?.bytes).toBe(3);
    await expect(readAll(opened!.stream)).resolves.toBe('abc');
  });

  it('refuses bytes that do not match the announced hash and leaves nothing behind', async () => {
    await expect(store.put(Buffer.from('abd'), ABC_SHA256)).rejects.toMatchObject({
      code: 'BLOB_HASH_MISMATCH',
    });
    const leftovers = fs.readdirSync(path.join(root, 'ba')).filter((f) => f.endsWith('.tmp'));
    expect(leftovers).toEqual([]);
  });

  it('is idempotent and reports unknown blobs as absent', async () => {
    await expect(store.put(Buffer.from('abc'), ABC_SHA256)).resolves.toEqual({
      sha256: ABC_SHA256,
      bytes: 3,
    });
    await expect(store.has('0'.repeat(64))).resolves.toBe(false);
    await expect(store.open('0'.repeat(64))).resolves.toBeNull();
  });

  it('adopts a verified file by moving it in (not copying); a second copy of a stored blob is dropped', async () => {
    const fresh = new FileBlobStore(fs.mkdtempSync(path.join(os.tmpdir(), 'fedaln-blobs-file-')));
    const spool = fs.mkdtempSync(path.join(os.tmpdir(), 'fedaln-spool-'));
    const source = path.join(spool, 'upload.bin');
    fs.writeFileSync(source, 'abc');
    const inode = fs.statSync(source).ino;
    await expect(fresh.adopt(source, ABC_SHA256)).resolves.toEqual({ sha256: ABC_SHA256, bytes: 3 });
    expect(fs.existsSync(source)).toBe(false);
    const file = await fresh.localFile(ABC_SHA256);
    expect(fs.statSync(file!).ino).toBe(inode); // renamed: the same file, no second write
    await expect(readAll((await fresh.open(ABC_SHA256))!.stream)).resolves.toBe('abc');
    fs.writeFileSync(source, 'abc');
    await expect(fresh.adopt(source, ABC_SHA256)).resolves.toEqual({ sha256: ABC_SHA256, bytes: 3 });
    expect(fs.existsSync(source)).toBe(false);
    expect(fs.readdirSync(path.dirname(file!))).toEqual([ABC_SHA256]); // no temporary left behind
  });

  it('stores chunks as one blob named by the sha256 of their concatenation; a failing producer leaves nothing', async () => {
    const root2 = fs.mkdtempSync(path.join(os.tmpdir(), 'fedaln-blobs-chunks-'));
    const fresh = new FileBlobStore(root2);
    const buffer = Buffer.alloc(1);
    // One reused buffer: each chunk must be written before the next is produced.
    const chunks = function* () {
      for (const c of 'abc') {
        buffer.write(c);
        yield buffer;
      }
    };
    await expect(fresh.putChunks(chunks)).resolves.toEqual({ sha256: ABC_SHA256, bytes: 3 });
    await expect(readAll((await fresh.open(ABC_SHA256))!.stream)).resolves.toBe('abc');
    await expect(fresh.putChunks(chunks)).resolves.toEqual({ sha256: ABC_SHA256, bytes: 3 });
    const failing = function* () {
      yield Buffer.from('ab');
      throw new Error('producer failed');
    };
    await expect(fresh.putChunks(failing)).rejects.toThrow('producer failed');
    const leftovers = fs.readdirSync(root2, { recursive: true }).filter((f) => String(f).endsWith('.tmp'));
    expect(leftovers).toEqual([]);
  });

  it('removes the temporaries a crash left mid-write, and nothing else', async () => {
    const root3 = fs.mkdtempSync(path.join(os.tmpdir(), 'fedaln-blobs-crash-'));
    const fresh = new FileBlobStore(root3);
    await fresh.put(Buffer.from('abc'));
    // What a SIGKILL leaves: putChunks's fsynced model not yet renamed (the kill-matrix e2e's
    // aggregation:model-synced crash point), and install's temporary in a fan-out folder.
    const incoming = path.join(root3, '.incoming.0123456789ab.tmp');
    const installing = path.join(root3, 'ba', `.${ABC_SHA256}.a1b2c3d4e5f6.tmp`);
    fs.writeFileSync(incoming, 'partial');
    fs.writeFileSync(installing, 'abc');
    // Not the store's temporaries: kept.
    const kept = [path.join(root3, 'notes.tmp'), path.join(root3, 'other', '.incoming.0123456789ab.tmp')];
    fs.mkdirSync(path.join(root3, 'other'));
    kept.forEach((f) => fs.writeFileSync(f, 'x'));
    expect((await fresh.removeTemporaries()).sort()).toEqual([incoming, installing].sort());
    expect(fs.existsSync(incoming) || fs.existsSync(installing)).toBe(false);
    expect(kept.every((f) => fs.existsSync(f))).toBe(true);
    await expect(readAll((await fresh.open(ABC_SHA256))!.stream)).resolves.toBe('abc');
    await expect(fresh.removeTemporaries()).resolves.toEqual([]);
    await expect(new FileBlobStore(path.join(root3, 'absent')).removeTemporaries()).resolves.toEqual([]);
  });
});

describe('FileBlobStore retention primitives', () => {
  it('removes unreferenced blobs, but not one this process stored again since the cut-off', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'fedaln-blobs-sweep-'));
    const before = new FileBlobStore(root); // a previous process
    const kept = await before.put(Buffer.from('referenced'));
    const old = await before.put(Buffer.from('unreferenced'));
    const again = await before.put(Buffer.from('stored again'));
    const store = new FileBlobStore(root);
    const cutOff = Date.now();
    await store.put(Buffer.from('stored again')); // already there: noted as written, not rewritten
    const removed = await store.removeUnreferenced((sha) => sha === kept.sha256, cutOff);
    expect(removed).toEqual([old.sha256]);
    await expect(store.has(again.sha256)).resolves.toBe(true);
    await expect(store.removeUnreferenced((sha) => sha === kept.sha256, Date.now() + 1)).resolves.toEqual([
      again.sha256,
    ]);
    await expect(store.has(kept.sha256)).resolves.toBe(true);
  });
});
