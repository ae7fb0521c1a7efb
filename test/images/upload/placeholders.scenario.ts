import { rgbaToThumbHash, thumbHashToApproximateAspectRatio, thumbHashToAverageRGBA } from 'thumbhash';
import { beforeAll, describe, expect, it } from 'vitest';
import { newUser, type TestUser } from '../../support/client';
import { getJson, legacyUpload, type V1Page } from '../../support/image-api';
import { avif, gif, jpeg, png, webp } from '../../support/images';
import type { Scenario } from '../../support/scenarios';
import { type UploadedV1, upload } from '../../support/upload';

const fromBase64 = (s: string) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
const toBase64 = (b: Uint8Array) => btoa(String.fromCharCode(...b));

/** The pixels test/support/images `png` draws: red across, green down, blue 0x80. */
function gradientRgba(width: number, height: number): Uint8Array {
  const rgba = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const at = (y * width + x) * 4;
      rgba[at] = (x * 255) / Math.max(1, width - 1);
      rgba[at + 1] = (y * 255) / Math.max(1, height - 1);
      rgba[at + 2] = 0x80;
      rgba[at + 3] = 0xff;
    }
  }
  return rgba;
}

const placeholders: Scenario = (target) => {
  let user: TestUser;

  beforeAll(async () => {
    user = await newUser(target(), 'thumbhash');
  });

  const meta = (id: number) => getJson<UploadedV1>(target(), user, `/api/v1/images/${id}`);

  it('a PNG gets exactly the ThumbHash of its pixels, the same on every runtime', async () => {
    // Under 100×100 the engine's PNG holds the decoded pixels as they are: no kernel, no rounding.
    const image = await upload(target(), user, await png(40, 30));
    const expected = toBase64(rgbaToThumbHash(40, 30, gradientRgba(40, 30)));
    expect(image.thumbhash).toBe(expected);
    expect((await meta(image.id)).thumbhash).toBe(expected);
    const page = await getJson<V1Page>(target(), user, `/api/v1/images?sha256=${image.sha256}`);
    expect(page.items[0]?.thumbhash).toBe(expected);
  });

  it('a PNG larger than 100 per side is reduced first, and keeps its colour and shape', async () => {
    const image = await upload(target(), user, await png(300, 150));
    const hash = fromBase64(image.thumbhash ?? '');
    expect(thumbHashToApproximateAspectRatio(hash)).toBeCloseTo(2, 0);
    const avg = thumbHashToAverageRGBA(hash);
    // The gradient's mean: red and green about half, blue 0x80.
    expect(avg.r).toBeCloseTo(0.5, 1);
    expect(avg.g).toBeCloseTo(0.5, 1);
    expect(avg.b).toBeCloseTo(0x80 / 255, 1);
  });

  it.each([
    ['jpeg', () => jpeg(16, 12)],
    ['webp', () => webp('lossless', 3, 2)],
    ['gif', () => gif(8, 6)],
  ] as const)('a %s gets one', async (_kind, make) => {
    const image = await upload(target(), user, make());
    expect(image.thumbhash).toMatch(/^[A-Za-z0-9+/]+=*$/);
    expect(thumbHashToAverageRGBA(fromBase64(image.thumbhash ?? '')).a).toBeCloseTo(1, 1);
  });

  it('the GIF checkerboard averages its two colours', async () => {
    const image = await upload(target(), user, gif(8, 6));
    const avg = thumbHashToAverageRGBA(fromBase64(image.thumbhash ?? ''));
    // (0x20,0x40,0xc0) and (0xf0,0xc0,0x20), half each.
    expect(avg.r * 255).toBeGreaterThan(136 - 20);
    expect(avg.r * 255).toBeLessThan(136 + 20);
    expect(avg.g * 255).toBeGreaterThan(128 - 20);
    expect(avg.g * 255).toBeLessThan(128 + 20);
    expect(avg.b * 255).toBeGreaterThan(112 - 20);
    expect(avg.b * 255).toBeLessThan(112 + 20);
  });

  describe('none where no engine decodes the image', () => {
    it('AVIF: null', async () => {
      const image = await upload(target(), user, avif(), { name: 'a.avif', contentType: 'image/avif' });
      expect(image.content_type).toBe('image/avif');
      expect(image.thumbhash).toBeNull();
    });

    it('unverified legacy bytes: null, and the legacy answer has no thumbhash field', async () => {
      const legacy = await legacyUpload(target(), user, new TextEncoder().encode('\x00\x01 not an image at all'), {
        name: 'x.png',
        contentType: 'image/png',
      });
      expect(Object.keys(legacy)).not.toContain('thumbhash');
      expect((await meta(legacy.img_id)).thumbhash).toBeNull();
    });
  });
};

export default placeholders;
