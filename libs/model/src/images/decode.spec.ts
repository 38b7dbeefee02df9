import { describe, expect, it } from '@jest/globals';
import { writeFile, mkdtemp } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { decodeRgb, loadImage } from './decode';
import { IMAGENET_MEAN, IMAGENET_STD, normaliseGray, normaliseRgb } from './normalise';

const png = (pixels: number[], width: number, height: number, channels: 1 | 2 | 3 | 4) =>
  sharp(Buffer.from(pixels), { raw: { width, height, channels } }).png().toBuffer();

describe('Keras DenseNet normalisation', () => {
  it('uses the "torch" constants of keras/src/applications/imagenet_utils.py', () => {
    // imagenet_utils._preprocess_numpy_input, mode == "torch":
    //   mean = [0.485, 0.456, 0.406]; std = [0.229, 0.224, 0.225]
    expect(IMAGENET_MEAN).toEqual([0.485, 0.456, 0.406]);
    expect(IMAGENET_STD).toEqual([0.229, 0.224, 0.225]);
  });

  it('maps RGB (255, 0, 128) to hand-computed values', () => {
    // R: (255/255 − 0.485)/0.229 = 2.248908…; G: (0 − 0.456)/0.224 = −2.035714…;
    // B: (128/255 − 0.406)/0.225 = (0.501961 − 0.406)/0.225 = 0.426492…
    const x = normaliseRgb(new Uint8Array([255, 0, 128]));
    expect(x[0]).toBeCloseTo(2.248908, 5);
    expect(x[1]).toBeCloseTo(-2.035714, 5);
    expect(x[2]).toBeCloseTo(0.426492, 5);
  });

  it('maps a gray pixel to the three channels of the equal RGB pixel', () => {
    expect([...normaliseGray(new Uint8Array([128, 255]))]).toEqual([
      ...normaliseRgb(new Uint8Array([128, 128, 128, 255, 255, 255])),
    ]);
  });
});

describe('decodeRgb / loadImage', () => {
  it('decodes a 2×2 RGB PNG at its own size exactly, HWC', async () => {
    const pixels = [255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30];
    expect(Array.from(await decodeRgb(await png(pixels, 2, 2, 3), 2))).toEqual(pixels);
  });

  it('replicates gray into three channels and drops alpha (PIL convert("RGB"))', async () => {
    const rgbOf = async (pixels: number[], channels: 1 | 2 | 4) =>
      Array.from(await decodeRgb(await png(pixels, 2, 2, channels), 2));
    const grayExpanded = [0, 0, 0, 200, 200, 200, 50, 50, 50, 255, 255, 255];
    expect(await rgbOf([0, 200, 50, 255], 1)).toEqual(grayExpanded);
    expect(await rgbOf([0, 9, 200, 0, 50, 255, 255, 128], 2)).toEqual(grayExpanded);
    expect(await rgbOf([1, 2, 3, 0, 4, 5, 6, 255, 7, 8, 9, 1, 10, 11, 12, 99], 4)).toEqual([
      1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
    ]);
  });

  it('resizes any size to size×size: a uniform image stays uniform', async () => {
    const jpeg = await sharp({
      create: { width: 37, height: 23, channels: 3, background: { r: 40, g: 120, b: 200 } },
    })
      .jpeg({ quality: 100 })
      .toBuffer();
    const x = await loadImage(jpeg, 8);
    expect(x.length).toBe(8 * 8 * 3);
    // JPEG's colour conversion may move a channel by a level or two.
    const expected = normaliseRgb(new Uint8Array([40, 120, 200]));
    for (let i = 0; i < x.length; i++)
      expect(Math.abs(x[i]! - expected[i % 3]!)).toBeLessThan(3 / 255 / 0.224);
  });

  it('names the file it cannot decode', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'fedaln-decode-'));
    const file = path.join(dir, 'broken.png');
    await writeFile(file, 'not an image');
    await expect(loadImage(file, 8)).rejects.toThrow(`cannot decode image ${file}`);
  });
});
