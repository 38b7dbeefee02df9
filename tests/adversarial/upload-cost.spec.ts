/**
 * Issue 14, cheap denial of service through uploads, against the coordinator's UploadIntake with a
 * real RoundAggregator and FileBlobStore (in-memory repositories). Before: every `upload:begin`
 * re-read and re-hashed the whole spool; a header up to the blob's size was JSON-parsed before any
 * check; a q8 tensor was expanded whole when the update was opened; a second begin of the same
 * update dropped the first one's upload id. Each is counted with a spy, not timed.
 */
import { beforeEach, describe, expect, it, jest } from '@jest/globals';
import {
  BLOB_MAGIC,
  BLOB_PREAMBLE_BYTES,
  ChunkReceiver,
  encodeBlob,
  FRAME_BYTES,
  openBlob,
  bytesSource,
  type EncodeOptions,
  type PositionalSource,
  type UploadBeginPayload,
} from '@fedaln/protocol';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RoundAggregator } from '../../apps/coordinator/src/aggregation/round-aggregator';
import { BlobCache } from '../../apps/coordinator/src/blobs/blob-cache';
import { FileBlobStore } from '../../apps/coordinator/src/blobs/blob-store';
import type { Study } from '../../apps/coordinator/src/domain/records';
import { UploadIntake } from '../../apps/coordinator/src/uploads/upload-intake';
import {
  inMemoryCoordinator,
  seedRound,
  temporaryDir,
  type InMemoryCoordinator,
} from '../medium/coordinator-in-memory';

/** StreamingFedAvg's CHECK_CHUNK (libs/aggregation streaming-fedavg.ts): values a check reads at once. */
const CHECK_CHUNK = 1 << 16;

/** Park–Miller minimal standard generator (deterministic weights). */
function prng(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 16807) % 2147483647) / 2147483647;
}

/** Version 0: 3 MiB of f32 in two tensors, so an f32 update spans four 1 MiB frames. */
const u = prng(11);
const GLOBAL = [
  {
    name: 'features/kernel',
    shape: [768, 1024],
    values: Float32Array.from({ length: 768 * 1024 }, () => u() - 0.5),
  },
  { name: 'head/bias', shape: [2], values: new Float32Array([0.1, -0.1]) },
];
const updateOf = (shift: number) =>
  GLOBAL.map((t) => ({ ...t, values: t.values.map((v) => v + shift * (u() - 0.5)) }));

describe('upload costs (issue 14)', () => {
  const root = temporaryDir('upload-cost');
  let c: InMemoryCoordinator;
  let blobs: FileBlobStore;
  let aggregator: RoundAggregator;
  let uploads: UploadIntake;
  let study: Study;
  let spoolDir = '';
  let run = 0;

  const intake = () => new UploadIntake({ ...c, blobs, aggregator, spoolDir });
  const beginOf = (blob: { sha256: string; bytes: Uint8Array }): UploadBeginPayload => ({
    study_id: study.id,
    round: 1,
    sha256: blob.sha256,
    bytes: blob.bytes.length,
    n_train: 10,
  });
  const frame = (bytes: Uint8Array, i: number) => bytes.subarray(i * FRAME_BYTES, (i + 1) * FRAME_BYTES);

  beforeEach(async () => {
    const dir = path.join(root, String(run++));
    spoolDir = path.join(dir, 'uploads');
    blobs = new FileBlobStore(path.join(dir, 'blobs'));
    c = inMemoryCoordinator(blobs);
    aggregator = new RoundAggregator(blobs, new BlobCache(blobs), c.models);
    ({ study } = await seedRound(c, {
      sites: ['a', 'b'],
      state: 'training',
      participants: { a: 'assigned', b: 'assigned' },
    }));
    const base = encodeBlob(GLOBAL);
    await blobs.put(base.bytes);
    await c.models.add({
      studyId: study.id,
      version: 0,
      sha256: base.sha256,
      bytes: base.bytes.length,
      roundNumber: null,
    });
    uploads = intake();
  });

  it('upload:begin of an update this process spools re-hashes nothing; after a restart, once', async () => {
    const blob = encodeBlob(updateOf(1e-3));
    const replay = jest.spyOn(ChunkReceiver.prototype, 'replay');
    try {
      const first = await uploads.begin('a', beginOf(blob));
      for (let i = 0; i < 3; i++)
        uploads.frame('a', { upload_id: first.upload_id, index: i, data: frame(blob.bytes, i) });
      replay.mockClear();
      const again = await uploads.begin('a', beginOf(blob)); // the site reconnected
      expect(again.next_frame).toBe(3);
      expect(replay).not.toHaveBeenCalled(); // before: 3 MiB read back and hashed, at every begin

      const restarted = intake(); // a new process: the spool is only on disk
      const resumed = await restarted.begin('a', beginOf(blob));
      expect(resumed.next_frame).toBe(3);
      expect(replay.mock.calls.reduce((n, [prefix]) => n + prefix.length, 0)).toBe(3 * FRAME_BYTES);
      replay.mockClear();
      const later = await restarted.begin('a', beginOf(blob));
      expect(replay).not.toHaveBeenCalled();
      restarted.frame('a', { upload_id: later.upload_id, index: 3, data: frame(blob.bytes, 3) });
      await expect(restarted.end('a', { upload_id: later.upload_id })).resolves.toEqual({
        sha256: blob.sha256,
      });
    } finally {
      replay.mockRestore();
    }
  });

  it('two concurrent upload:begin of one sha256 share one spool: both complete, the update counts once', async () => {
    const blob = encodeBlob(updateOf(1e-3));
    const recorded = jest.spyOn(c.participants, 'recordUpload');
    const [x, y] = await Promise.all([uploads.begin('a', beginOf(blob)), uploads.begin('a', beginOf(blob))]);
    expect(x.upload_id).not.toBe(y.upload_id);
    expect([x.next_frame, y.next_frame]).toEqual([0, 0]);
    const frames = Math.ceil(blob.bytes.length / FRAME_BYTES);
    for (let i = 0; i < frames; i++) {
      const id = i % 2 === 0 ? x.upload_id : y.upload_id; // the two sessions interleave
      expect(uploads.frame('a', { upload_id: id, index: i, data: frame(blob.bytes, i) })).toMatchObject({
        index: i,
      });
    }
    const ends = await Promise.all([
      uploads.end('a', { upload_id: x.upload_id }),
      uploads.end('a', { upload_id: y.upload_id }),
    ]);
    expect(ends).toEqual([{ sha256: blob.sha256 }, { sha256: blob.sha256 }]);
    // A late end of either is a replay of the counted update.
    await expect(uploads.end('a', { upload_id: y.upload_id })).resolves.toEqual({ sha256: blob.sha256 });
    const rows = (await c.participants.list(study.id, 1)).filter((p) => p.state === 'uploaded');
    expect(rows.map((p) => [p.siteId, p.updateSha256])).toEqual([['a', blob.sha256]]);
    expect(recorded).toHaveBeenCalledTimes(1);
    expect(aggregator.pendingCount(study.id) + (await aggregator.reconcile(study.id, 1, rows))).toBe(0); // folded once, already
  });

  it('refuses a header longer than the round model layout needs from the first frame, before parsing it', async () => {
    // An honest q8 update whose header is re-indented: valid JSON, same tensors, ~4× the bytes.
    const honest = encodeBlob(updateOf(1e-3), { encoding: 'q8' });
    const headerBytes = new DataView(honest.bytes.buffer, honest.bytes.byteOffset).getUint32(8, true);
    const json = new TextDecoder().decode(
      honest.bytes.subarray(BLOB_PREAMBLE_BYTES, BLOB_PREAMBLE_BYTES + headerBytes),
    );
    const padded = new TextEncoder().encode(JSON.stringify(JSON.parse(json), null, 10));
    const dataStart = Math.ceil((BLOB_PREAMBLE_BYTES + headerBytes) / 8) * 8;
    const head = new Uint8Array(Math.ceil((BLOB_PREAMBLE_BYTES + padded.length) / 8) * 8);
    head.set(BLOB_MAGIC);
    new DataView(head.buffer).setUint32(8, padded.length, true);
    head.set(padded, BLOB_PREAMBLE_BYTES);
    const bytes = Buffer.concat([head, honest.bytes.subarray(dataStart)]);
    const blob = {
      bytes,
      sha256: createHash('sha256').update(bytes).digest('hex'),
    };

    const begin = await uploads.begin('a', beginOf(blob));
    const parse = jest.spyOn(JSON, 'parse');
    try {
      expect(() =>
        uploads.frame('a', { upload_id: begin.upload_id, index: 0, data: frame(bytes, 0) }),
      ).toThrow(
        new RegExp(
          `^header is ${padded.length} bytes; the expected tensor layout needs at most \\d+, so it was not parsed`,
        ),
      );
      expect(parse).not.toHaveBeenCalled();
    } finally {
      parse.mockRestore();
    }
    const again = await uploads.begin('a', beginOf(blob));
    expect(again.next_frame).toBe(0); // the refused frame was never written
  });

  it('a q8 update is checked reading at most one chunk at a time, never a whole tensor', async () => {
    const blob = encodeBlob(updateOf(1e-3), { encoding: 'q8' } satisfies EncodeOptions);
    const kernelValues = 768 * 1024;
    const begin = await uploads.begin('a', beginOf(blob));
    const frames = Math.ceil(blob.bytes.length / FRAME_BYTES);
    for (let i = 0; i < frames; i++)
      uploads.frame('a', { upload_id: begin.upload_id, index: i, data: frame(blob.bytes, i) });
    // What the aggregator's check is given, and the chunks it reads through it.
    const verify = aggregator.verify.bind(aggregator);
    const asked: number[] = [];
    let decodedWhole = 0;
    const spy = jest.spyOn(aggregator, 'verify').mockImplementation((studyId, round, tensors, nTrain) =>
      verify(
        studyId,
        round,
        tensors.map((t) => {
          if ('values' in t) {
            decodedWhole++;
            return t;
          }
          return {
            ...t,
            read: (from: number, into: Float32Array) => (asked.push(into.length), t.read(from, into)),
          };
        }),
        nTrain,
      ),
    );
    try {
      await expect(uploads.end('a', { upload_id: begin.upload_id })).resolves.toEqual({
        sha256: blob.sha256,
      });
    } finally {
      spy.mockRestore();
    }
    expect(decodedWhole).toBe(0); // before: both q8 tensors expanded to f32 when the file was opened
    expect(Math.max(...asked)).toBeLessThanOrEqual(CHECK_CHUNK); // one chunk: 64 KiB of q8, 256 KiB as f32
    expect(asked.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(kernelValues);
  });

  it('the decoder reads a q8 tensor chunk by chunk: each read is the chunk asked for', () => {
    const blob = encodeBlob(updateOf(1e-3), { encoding: 'q8' });
    const source = bytesSource(blob.bytes);
    const sizes: number[] = [];
    const counting: PositionalSource = {
      ...source,
      readInto: (into, at) => (sizes.push(into.length), source.readInto(into, at)),
    };
    const reader = openBlob(counting);
    const headerReads = sizes.length;
    const kernel = reader.tensors[0]!;
    if ('values' in kernel) throw new Error('a q8 tensor was decoded whole at open');
    const chunk = new Float32Array(4096);
    for (let from = 0; from < 768 * 1024; from += chunk.length) kernel.read(from, chunk);
    expect(sizes.slice(headerReads).every((n) => n === chunk.length)).toBe(true);
    expect(sizes.slice(headerReads)).toHaveLength((768 * 1024) / chunk.length);
  });

  it('removes the spools of a round that is over: at its completion, and at start-up', async () => {
    const blob = encodeBlob(updateOf(1e-3));
    const begin = await uploads.begin('a', beginOf(blob));
    uploads.frame('a', { upload_id: begin.upload_id, index: 0, data: frame(blob.bytes, 0) });
    const roundDir = path.join(spoolDir, study.id, '1');
    expect(fs.readdirSync(roundDir)).toEqual([`a.${blob.sha256}.${blob.bytes.length}.part`]);
    const round = (await c.rounds.find(study.id, 1))!;
    const completed = { ...round, state: 'completed' as const };
    uploads.onChange({
      study,
      round: completed,
      from: 'evaluating',
      event: 'evaluationDone',
      effects: [],
      uploads: [],
    });
    expect(fs.existsSync(roundDir)).toBe(false);
    expect(() =>
      uploads.frame('a', { upload_id: begin.upload_id, index: 1, data: frame(blob.bytes, 1) }),
    ).toThrow();

    // Left by an earlier process: a round the study has left, an unknown study, and in the open
    // round a verified file whose coordinator was killed before storing it.
    const left = [path.join(spoolDir, study.id, '0'), path.join(spoolDir, 'no-such-study', '1')];
    for (const dir of left) fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(left[0]!, `b.${blob.sha256}.9.part`), 'x');
    fs.mkdirSync(roundDir, { recursive: true });
    const verified = path.join(roundDir, `.a.${blob.sha256}.0a1b2c.verified`);
    const partial = path.join(roundDir, `b.${blob.sha256}.${blob.bytes.length}.part`);
    fs.writeFileSync(verified, 'x');
    fs.writeFileSync(partial, 'x');
    const removed = await intake().removeStaleSpools();
    expect(removed.sort()).toEqual([...left, verified].sort());
    expect(fs.existsSync(partial)).toBe(true); // the open round's partial upload stays for a resume
  });
});
