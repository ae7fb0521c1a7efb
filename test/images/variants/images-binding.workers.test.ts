import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { sniffImage } from '../../../src/formats/sniff';
import { imagesBindingTransformer } from '../../../src/transform/images-binding';
import { type TransformPlan, UntransformableImage } from '../../../src/transform/transformer';
import { gif, jpeg, png } from '../../support/images';

/**
 * The Images binding as the vitest pool emulates it (miniflare runs sharp in Node). The
 * emulation honours width, height and the output format, which is what these check; it ignores
 * fit, quality and EXIF orientation (see src/transform/images-binding.ts), which the sharp
 * transformer's tests on Node cover.
 */
const transformer = imagesBindingTransformer(env.IMAGES_TRANSFORM);
const stream = (bytes: Uint8Array<ArrayBuffer>) => async () => new Blob([bytes]).stream();
const plan = (over: Partial<TransformPlan>): TransformPlan => ({
  source: { width: 64, height: 48 },
  maxInputPixels: 50_000_000,
  orientation: 1,
  width: 16,
  height: 12,
  mode: 'scale',
  format: 'webp',
  quality: 80,
  ...over,
});

describe('Images binding in the Workers pool', () => {
  it('makes each output format at exactly the planned size', async () => {
    const source = await png(64, 48);
    for (const format of ['webp', 'avif', 'jpeg', 'png'] as const) {
      for (const mode of ['scale', 'cover', 'contain'] as const) {
        const out = await transformer.transform(stream(source), plan({ format, mode, width: 20, height: 10 }));
        const seen = sniffImage(out.bytes);
        expect(out.contentType, `${format} ${mode}`).toBe(seen?.contentType);
        // The sniffer reads AVIF's size from its `ispe` box, which sharp writes.
        expect({ w: seen?.width, h: seen?.height }, `${format} ${mode}`).toEqual({ w: 20, h: 10 });
      }
    }
  });

  it('reads JPEG and GIF sources', async () => {
    for (const [source, size] of [
      [jpeg(40, 30), { width: 40, height: 30 }],
      [gif(8, 6), { width: 8, height: 6 }],
    ] as const) {
      const out = await transformer.transform(
        stream(source),
        plan({ source: size, width: 4, height: 3, format: 'png' }),
      );
      expect(sniffImage(out.bytes)).toMatchObject({ contentType: 'image/png', width: 4, height: 3 });
    }
  });

  it('reports bytes that are not an image as UntransformableImage', async () => {
    const truncated = (await png(64, 48)).slice(0, 60);
    for (const bad of [new Uint8Array(100), truncated]) {
      await expect(transformer.transform(stream(bad), plan({}))).rejects.toBeInstanceOf(UntransformableImage);
    }
  });

  it('refuses, before transforming, a source whose decoded size is not the stored one or is over the pixel limit', async () => {
    const source = await png(64, 48);
    for (const over of [{ source: { width: 16, height: 12 } }, { maxInputPixels: 64 * 48 - 1 }]) {
      await expect(transformer.transform(stream(source), plan(over))).rejects.toBeInstanceOf(UntransformableImage);
    }
  });
});
