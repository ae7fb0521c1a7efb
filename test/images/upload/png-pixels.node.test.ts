import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodePng, PngDecodeError } from '../../../src/formats/png-pixels';
import { noisePng, png } from '../../support/images';

// sharp (libpng/libspng) encodes each case with its own filter choices; its own decode of the same
// file is the reference, pixel for pixel.

/** Random RGBA pixels with varied alpha: every row filter gets used on noise. */
function noiseRgba(width: number, height: number): Buffer {
  const data = Buffer.alloc(width * height * 4);
  crypto.getRandomValues(data);
  return data;
}

async function reference(file: Uint8Array) {
  const { data, info } = await sharp(file).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, rgba: new Uint8Array(data) };
}

async function expectSameAsSharp(file: Uint8Array) {
  const mine = await decodePng(file, 1_000_000);
  const theirs = await reference(file);
  expect({ width: mine.width, height: mine.height }).toEqual({ width: theirs.width, height: theirs.height });
  expect(Buffer.from(mine.rgba).equals(Buffer.from(theirs.rgba))).toBe(true);
}

const raw = (data: Buffer, width: number, height: number, channels: 1 | 2 | 3 | 4) =>
  sharp(data, { raw: { width, height, channels } });

describe('decodePng', () => {
  it('decodes 8-bit RGBA with every row filter the encoder picks', async () => {
    await expectSameAsSharp(await raw(noiseRgba(37, 23), 37, 23, 4).png({ adaptiveFiltering: true }).toBuffer());
  });

  it('decodes 8-bit RGB (the test fixtures, unfiltered, and noise)', async () => {
    await expectSameAsSharp(await png(40, 30));
    await expectSameAsSharp(await noisePng(17, 9));
    const smooth = await sharp(await png(64, 48))
      .png({ adaptiveFiltering: true, compressionLevel: 9 })
      .toBuffer();
    await expectSameAsSharp(smooth);
  });

  it('decodes 8-bit gray and gray with alpha', async () => {
    const gray = await sharp(await noisePng(21, 13))
      .toColourspace('b-w')
      .png()
      .toBuffer();
    expect((await sharp(gray).metadata()).channels).toBe(1);
    await expectSameAsSharp(gray);
    const grayAlpha = await raw(noiseRgba(11, 7).subarray(0, 11 * 7 * 2), 11, 7, 2)
      .png()
      .toBuffer();
    await expectSameAsSharp(grayAlpha);
  });

  it('decodes palettes at 8, 4, 2 and 1 bits, with transparency', async () => {
    for (const [bitdepth, colours] of [
      [8, 200],
      [4, 16],
      [2, 4],
      [1, 2],
    ] as const) {
      const file = await raw(noiseRgba(19, 11), 19, 11, 4).png({ palette: true, colours, dither: 0 }).toBuffer();
      const meta = await sharp(file).metadata();
      expect(meta.isPalette).toBe(true);
      // IHDR's bit depth: the encoder packs small palettes.
      expect(file[24]).toBe(bitdepth);
      await expectSameAsSharp(file);
    }
  });

  it('decodes 16-bit RGB to the high byte of each sample', async () => {
    const file = await sharp(await noisePng(9, 5))
      .toColourspace('rgb16')
      .png()
      .toBuffer();
    expect((await sharp(file).metadata()).depth).toBe('ushort');
    const mine = await decodePng(file, 100);
    const theirs = await reference(file);
    // sharp rounds (v / 257), the decoder truncates (v >> 8): at most one apart.
    const apart = mine.rgba.reduce((most, v, i) => Math.max(most, Math.abs(v - (theirs.rgba[i] as number))), 0);
    expect(apart).toBeLessThanOrEqual(1);
  });

  it('refuses more pixels than allowed from the header, before inflating', async () => {
    await expect(decodePng(await png(101, 100), 100 * 100)).rejects.toThrow(PngDecodeError);
    await expect(decodePng(await png(100, 100), 100 * 100)).resolves.toMatchObject({ width: 100, height: 100 });
  });

  it('refuses what is not a well-formed PNG', async () => {
    const good = await png(8, 8);
    await expect(decodePng(new TextEncoder().encode('GIF89a....'), 100)).rejects.toThrow(PngDecodeError);
    await expect(decodePng(good.subarray(0, good.length - 20), 100)).rejects.toThrow(PngDecodeError);
    // Corrupt image data: the zlib stream's first byte.
    const idat = Buffer.from(good).indexOf('IDAT');
    const broken = Uint8Array.from(good);
    broken[idat + 4] = 0xff;
    await expect(decodePng(broken, 100)).rejects.toThrow(PngDecodeError);
    const interlaced = await sharp(good).png({ progressive: true }).toBuffer();
    await expect(decodePng(interlaced, 100)).rejects.toThrow(/interlaced/);
  });
});
