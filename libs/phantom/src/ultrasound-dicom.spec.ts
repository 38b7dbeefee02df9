import { describe, expect, it } from '@jest/globals';
import { generateCase } from './case';
import { ultrasoundDicom, uidFor } from './dicom-writer';
import { siteProfile } from './site';
import { screenMargins, ultrasoundScreen } from './ultrasound-screen';

describe('ultrasoundScreen and ultrasoundDicom', () => {
  const c = generateCase(siteProfile(1, 4), 0, 32);
  const screen = ultrasoundScreen(c.pixels, 32, c.caseId);

  it('puts the image exactly at its region, with bar and burned-in text outside it', () => {
    const { bar, strip } = screenMargins(32);
    expect(screen.region).toEqual({ x0: bar, y0: strip, x1: bar + 31, y1: strip + 31 });
    expect([screen.width, screen.height]).toEqual([bar + 32, strip + 32]);
    for (let y = 0; y < 32; y++) {
      const row = screen.data.subarray(
        (strip + y) * screen.width + bar,
        (strip + y) * screen.width + bar + 32,
      );
      expect(Buffer.from(row).equals(Buffer.from(c.pixels.subarray(y * 32, y * 32 + 32)))).toBe(true);
    }
    const textStrip = screen.data.subarray(0, strip * screen.width);
    expect(textStrip.filter((v) => v === 255).length).toBeGreaterThan(20); // burned-in glyphs
    expect(screen.data[(screen.height - 1) * screen.width + 2]).toBe(0); // grayscale bar: black at the bottom
    expect(screen.data[2]).toBe(255); // white at the top
  });

  it('writes Part 10 Explicit VR Little Endian with a correct meta group length and the pixels last', () => {
    const bytes = ultrasoundDicom({ screen, caseId: c.caseId, uidSeed: 's', pixelMm: 45 / 32 });
    expect(bytes.subarray(128, 132).toString('latin1')).toBe('DICM');
    // (0002,0000) UL: the length of the rest of group 0002 (PS3.10 7.1).
    expect([bytes.readUInt16LE(132), bytes.readUInt16LE(134), bytes.toString('latin1', 136, 138)]).toEqual([
      2,
      0,
      'UL',
    ]);
    const groupEnd = 144 + bytes.readUInt32LE(140);
    expect(bytes.readUInt16LE(groupEnd)).toBe(0x0008);
    expect(bytes.toString('latin1')).toContain('1.2.840.10008.1.2.1\0');
    const pixels = screen.data.length + (screen.data.length % 2);
    expect(bytes.readUInt32LE(bytes.length - pixels - 4)).toBe(pixels);
    expect(
      Buffer.from(bytes.subarray(bytes.length - pixels, bytes.length - pixels + screen.data.length)).equals(
        Buffer.from(screen.data),
      ),
    ).toBe(true);
    expect(ultrasoundDicom({ screen, caseId: c.caseId, uidSeed: 's', pixelMm: 45 / 32 }).equals(bytes)).toBe(
      true,
    );
  });

  it('derives 2.25 UIDs of at most 64 characters', () => {
    const uid = uidFor('x');
    expect(uid).toMatch(/^2\.25\.[1-9][0-9]*$/);
    expect(uid.length).toBeLessThanOrEqual(64);
    expect(uidFor('y')).not.toBe(uid);
  });
});
