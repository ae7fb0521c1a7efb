import { beforeAll, describe, expect, it } from 'vitest';
import { gifFrameBomb, hugeJpeg, hugePng, hugeWebp, lyingAvif, manyFrameGif } from '../../support/bombs';
import { bearer, newUser, problem, type TestUser } from '../../support/client';
import { bytesOf } from '../../support/image-api';
import { noisePng } from '../../support/images';
import type { Scenario } from '../../support/scenarios';
import { upload } from '../../support/upload';

/** MAX_VARIANTS_PER_IMAGE as every scenario server runs it (the default). */
const MAX_VARIANTS = 16;

/**
 * Variants are bounded whatever the client does: per image (a storm of distinct sizes stores at
 * most MAX_VARIANTS_PER_IMAGE), in the owner's stored bytes (counted exactly, and given back on
 * delete), and per decode (a file whose size is a lie, or whose pixels would not fit, is refused).
 */
const variantBounds: Scenario = (target) => {
  let user: TestUser;
  beforeAll(async () => {
    user = await newUser(target(), 'variant-bounds');
  });

  const get = (path: string) => target().fetch(path, { headers: bearer(user) });
  const stored = async () => {
    const res = await get('/api/v1/user/usage');
    expect(res.status).toBe(200);
    return ((await res.json()) as { storage: { images_count: number; bytes_stored: number } }).storage;
  };

  it('a storm of 40 distinct widths stores at most MAX_VARIANTS_PER_IMAGE, counted exactly in bytes_stored', async () => {
    const before = await stored();
    const source = await noisePng(96, 64);
    const image = await upload(target(), user, source);
    const widths = Array.from({ length: 40 }, (_, i) => 10 + i);
    const answers = await Promise.all(
      widths.map(async (w) => {
        const res = await get(`/api/v1/images/${image.id}/file?width=${w}&format=png`);
        return { status: res.status, size: res.status === 200 ? (await bytesOf(res)).length : 0 };
      }),
    );
    const made = answers.filter((a) => a.status === 200);
    // Exactly the cap gets a slot; the rest are refused before any decode (the decode queue
    // holds the slots' requests, so none is turned away as busy).
    expect(made).toHaveLength(MAX_VARIANTS);
    expect(answers.filter((a) => a.status === 422)).toHaveLength(widths.length - MAX_VARIANTS);
    const after = await stored();
    expect(after.images_count).toBe(before.images_count + 1);
    // Every variant that answered 200 got a slot and was stored, so the total is exact.
    expect(after.bytes_stored).toBe(before.bytes_stored + source.length + made.reduce((n, a) => n + a.size, 0));

    // Once the cap is reached, a new size is refused.
    expect((await get(`/api/v1/images/${image.id}/file?width=60&height=7&fit=fill&format=png`)).status).toBe(422);

    const deleted = await target().fetch(`/api/v1/images/${image.id}`, { method: 'DELETE', headers: bearer(user) });
    expect(deleted.status).toBe(204);
    expect(await stored()).toMatchObject({ images_count: before.images_count, bytes_stored: before.bytes_stored });
  });

  it('the list thumbnail is not counted against the cap, but its bytes are', async () => {
    const before = await stored();
    const source = await noisePng(300, 300);
    const image = await upload(target(), user, source);
    const thumb = await get(image.thumbnail_url);
    expect(thumb.status).toBe(200);
    const thumbBytes = (await bytesOf(thumb)).length;
    expect((await stored()).bytes_stored).toBe(before.bytes_stored + source.length + thumbBytes);
    await target().fetch(`/api/v1/images/${image.id}`, { method: 'DELETE', headers: bearer(user) });
    expect((await stored()).bytes_stored).toBe(before.bytes_stored);
  });

  describe('decoder bombs are refused with 422, and again at once', () => {
    const cases = {
      'a GIF whose first frame is 20000×20000 on a 1×1 screen': () => gifFrameBomb(),
      'the same frame hidden past the sniffed head': () => gifFrameBomb(20_000, 20_000, { hideAfter: 70_000 }),
      'a PNG that states 60000×60000': () => hugePng(),
      'a JPEG that states 65000×65000': () => hugeJpeg(),
      'a WebP whose canvas is 16384×16384': () => hugeWebp(),
      'an AVIF (its ispe size is a claim; AVIF gets no variants)': () => lyingAvif(64, 64),
    };
    for (const [name, payload] of Object.entries(cases)) {
      it(name, async () => {
        const image = await upload(target(), user, payload());
        for (let i = 0; i < 2; i++) {
          const res = await get(`/api/v1/images/${image.id}/file?width=1&format=png`);
          expect(res.status, `${name} #${i}`).toBe(422);
          expect((await problem(res)).detail).toMatch(/variant|decoded|pixels/);
        }
        // The original is still served.
        expect((await get(`/api/v1/images/${image.id}/file`)).status).toBe(200);
      });
    }

    it('a GIF of 5000 frames makes a still variant of its first frame', async () => {
      const image = await upload(target(), user, manyFrameGif(5000));
      const res = await get(`/api/v1/images/${image.id}/file?width=1&format=png`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('image/png');
    });
  });
};

export default variantBounds;
