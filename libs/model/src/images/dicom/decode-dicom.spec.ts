import { readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { decodeDicom, middleFrame } from './decode-dicom';
import { DicomRefusal } from './dicom-refusal';

/**
 * Reference values: fixtures/expected.json, written by fixtures/make_dicom_fixtures.py from
 * pydicom 2.3.1's `pixel_array` (Pillow 9.4.0 for JPEG) put through the documented 8-bit rules.
 */
const FIXTURES = path.join(__dirname, 'fixtures');
interface Ok {
  status: 'ok';
  width: number;
  height: number;
  channels: number;
  frames: number;
  frame_used: number;
  region: { x0: number; y0: number; x1: number; y1: number; spacing_mm: [number, number] } | null;
  pixels_base64: string;
}
type Expected = Ok | { status: 'refused'; reason_contains: string };
const expected = JSON.parse(readFileSync(path.join(FIXTURES, 'expected.json'), 'utf8')) as Record<
  string,
  Expected
>;
/** JPEG: pydicom converts Pillow's YCbCr with float maths, libjpeg-turbo in sharp with fixed point. */
const JPEG_TOLERANCE = 1;

const read = (name: string): Buffer => readFileSync(path.join(FIXTURES, name));

function maxAbsDiff(a: Uint8Array, b: Uint8Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe('decodeDicom against pydicom', () => {
  const cases = Object.entries(expected);

  it('has an expectation for every fixture file', () => {
    const files = readdirSync(FIXTURES).filter((f) => f.endsWith('.dcm'));
    expect(files.sort()).toEqual([...new Set(cases.map(([k]) => k.split('#')[0]!))].sort());
  });

  it.each(cases.filter(([, e]) => e.status === 'ok'))(
    '%s decodes to the reference pixels',
    async (key, e) => {
      const ok = e as Ok;
      const [file, option] = key.split('#');
      const frame = option ? Number(option.split('=')[1]) : undefined;
      const { pixels, info } = await decodeDicom(read(file!), file!, { frame });
      expect([pixels.width, pixels.height, pixels.channels]).toEqual([ok.width, ok.height, ok.channels]);
      expect([info.width, info.height, info.frames, info.frameUsed]).toEqual([
        ok.width,
        ok.height,
        ok.frames,
        ok.frame_used,
      ]);
      const want = new Uint8Array(Buffer.from(ok.pixels_base64, 'base64'));
      const diff = maxAbsDiff(pixels.data, want);
      if (info.transferSyntax === '1.2.840.10008.1.2.4.50') expect(diff).toBeLessThanOrEqual(JPEG_TOLERANCE);
      else expect(diff).toBe(0);
      if (ok.region) {
        const { spacing_mm, ...bounds } = ok.region;
        expect(info.region).toMatchObject(bounds);
        expect(info.region!.spacingMm![0]).toBeCloseTo(spacing_mm[0], 12);
        expect(info.region!.spacingMm![1]).toBeCloseTo(spacing_mm[1], 12);
      } else {
        expect(info.region).toBeNull();
      }
    },
  );

  it.each(cases.filter(([, e]) => e.status === 'refused'))('%s is refused with a reason', async (file, e) => {
    const err = await decodeDicom(read(file), file).catch((x: unknown) => x);
    expect(err).toBeInstanceOf(DicomRefusal);
    expect((err as DicomRefusal).reason).toContain(file);
    expect((err as DicomRefusal).reason).toContain((e as { reason_contains: string }).reason_contains);
    // No header value in a reason: the fixtures' Patient's Name must not appear, nor raw bytes.
    expect((err as DicomRefusal).reason).not.toMatch(/PHANTOM|\[\d+,\d+,/);
    expect((err as DicomRefusal).reason.length).toBeLessThan(600);
  });

  it('names big endian and JPEG 2000 by UID and name', async () => {
    const reason = async (f: string): Promise<string> =>
      ((await decodeDicom(read(f), f).catch((x: unknown) => x)) as DicomRefusal).reason;
    expect(await reason('big-endian.dcm')).toContain('1.2.840.10008.1.2.2 (Explicit VR Big Endian)');
    expect(await reason('jpeg2000.dcm')).toContain('1.2.840.10008.1.2.4.90 (JPEG 2000 Lossless)');
  });

  it('refuses a frame outside the file', async () => {
    await expect(decodeDicom(read('cine5.dcm'), 'cine5.dcm', { frame: 6 })).rejects.toThrow(
      /frame 6 .* expected 1\.\.5/,
    );
  });

  it('refuses every prefix of a file instead of crashing', async () => {
    const whole = read('rle-rgb.dcm');
    for (let n = 0; n < whole.length; n += 37) {
      const err = await decodeDicom(whole.subarray(0, n), 'cut.dcm').catch((x: unknown) => x);
      expect(err).toBeInstanceOf(DicomRefusal);
      expect((err as DicomRefusal).reason).not.toMatch(/PHANTOM|\[\d+,\d+,/);
    }
  });

  it('decodes or refuses, never crashes, when bytes are corrupted', async () => {
    // Seeded xorshift32 (deterministic): 40 files with 8 random bytes overwritten, per fixture kind.
    let state = 17;
    const next = (n: number): number => {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      return (state >>> 0) % n;
    };
    const outcomes = { decoded: 0, refused: 0 };
    for (const file of [
      'us-regions.dcm',
      'rle-rgb.dcm',
      'jpeg-ybr422.dcm',
      'cine4-rle.dcm',
      'mono16-window.dcm',
    ]) {
      const whole = read(file);
      for (let k = 0; k < 40; k++) {
        const bytes = Buffer.from(whole);
        for (let j = 0; j < 8; j++) bytes[next(bytes.length)] = next(256);
        try {
          await decodeDicom(bytes, file);
          outcomes.decoded++;
        } catch (err) {
          expect(err).toBeInstanceOf(DicomRefusal);
          outcomes.refused++;
        }
      }
    }
    expect(outcomes.decoded + outcomes.refused).toBe(200);
    expect(outcomes.refused).toBeGreaterThan(0);
  });

  it('picks the middle frame', () => {
    expect([1, 2, 3, 4, 5].map(middleFrame)).toEqual([1, 1, 2, 2, 3]);
  });
});
