import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { sharpTransformer } from '../../../src/transform/sharp';
import { type TransformPlan, UntransformableImage } from '../../../src/transform/transformer';

const transformer = sharpTransformer();
const stream = (bytes: Uint8Array) => async () => new Blob([new Uint8Array(bytes)]).stream();
const plan = (over: Partial<TransformPlan>): TransformPlan => ({
  source: { width: 3, height: 2 },
  maxInputPixels: 50_000_000,
  orientation: 1,
  width: 3,
  height: 2,
  mode: 'scale',
  format: 'png',
  quality: undefined,
  ...over,
});

/** 3×2 with six distinct colours, so every mirror and turn gives a different raster. */
const RAW = Buffer.from([255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 0, 0, 255, 255, 255, 0, 255]);
const sixColours = (orientation = 1) =>
  sharp(RAW, { raw: { width: 3, height: 2, channels: 3 } })
    .png()
    .withMetadata({ orientation })
    .toBuffer();

const rgb = async (bytes: Uint8Array) => {
  const { data, info } = await sharp(bytes).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data: [...data], width: info.width, height: info.height };
};

describe('sharp transformer', () => {
  it('applies each EXIF orientation from the plan exactly as sharp.autoOrient() reads it from the file', async () => {
    for (let orientation = 1; orientation <= 8; orientation++) {
      const source = await sixColours(orientation);
      const upright = await rgb(await sharp(source).autoOrient().png().toBuffer());
      const out = await transformer.transform(
        stream(source),
        plan({ orientation, width: upright.width, height: upright.height }),
      );
      expect(await rgb(out.bytes), `orientation ${orientation}`).toEqual(upright);
    }
  });

  it('cover crops the centre, contain pads with transparency, scale stretches', async () => {
    // 4×2: left half red, right half blue.
    const halves = await sharp({ create: { width: 4, height: 2, channels: 3, background: '#ff0000' } })
      .composite([{ input: { create: { width: 2, height: 2, channels: 3, background: '#0000ff' } }, left: 2, top: 0 }])
      .png()
      .toBuffer();
    const cover = await transformer.transform(
      stream(halves),
      plan({ source: { width: 4, height: 2 }, mode: 'cover', width: 2, height: 2 }),
    );
    const covered = await rgb(cover.bytes);
    expect(covered).toMatchObject({ width: 2, height: 2 });
    expect(covered.data.slice(0, 3)).toEqual([255, 0, 0]); // the centre: red on the left…
    expect(covered.data.slice(3, 6)).toEqual([0, 0, 255]); // …blue on the right
    const contain = await transformer.transform(
      stream(halves),
      plan({ source: { width: 4, height: 2 }, mode: 'contain', width: 4, height: 4 }),
    );
    const { data, info } = await sharp(contain.bytes).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height, info.channels]).toEqual([4, 4, 4]);
    expect(data[3]).toBe(0); // top-left pixel is padding: fully transparent
    const stretched = await transformer.transform(
      stream(halves),
      plan({ source: { width: 4, height: 2 }, mode: 'scale', width: 2, height: 6 }),
    );
    expect(await sharp(stretched.bytes).metadata()).toMatchObject({ width: 2, height: 6 });
  });

  it('writes each format with no metadata, even from a source carrying EXIF with GPS', async () => {
    const source = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#808080' } })
      .jpeg()
      .withExif({ IFD0: { Copyright: 'someone' }, IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '51/1 30/1 0/1' } })
      .toBuffer();
    expect((await sharp(source).metadata()).exif).toBeDefined();
    for (const format of ['webp', 'avif', 'jpeg', 'png'] as const) {
      const out = await transformer.transform(
        stream(source),
        plan({
          source: { width: 8, height: 8 },
          format,
          width: 4,
          height: 4,
          quality: format === 'png' ? undefined : 50,
        }),
      );
      const meta = await sharp(out.bytes).metadata();
      expect(meta.format === 'heif' ? 'avif' : meta.format, format).toBe(format);
      expect({ exif: meta.exif, xmp: meta.xmp, icc: meta.icc }, format).toEqual({
        exif: undefined,
        xmp: undefined,
        icc: undefined,
      });
    }
  });

  it('honours quality for lossy formats', async () => {
    const noisy = await sharp(Buffer.from(Array.from({ length: 64 * 64 * 3 }, (_, i) => (i * 7919) % 256)), {
      raw: { width: 64, height: 64, channels: 3 },
    })
      .png()
      .toBuffer();
    const size = async (quality: number) =>
      (
        await transformer.transform(
          stream(noisy),
          plan({ source: { width: 64, height: 64 }, format: 'jpeg', width: 64, height: 64, quality }),
        )
      ).bytes.length;
    expect(await size(10)).toBeLessThan(await size(95));
  });

  it('reports bytes it cannot decode as UntransformableImage', async () => {
    const truncated = (await sixColours()).subarray(0, 40);
    for (const bad of [new Uint8Array(100), truncated]) {
      await expect(transformer.transform(stream(bad), plan({}))).rejects.toBeInstanceOf(UntransformableImage);
    }
  });
});
