import { beforeAll, describe, expect, it } from 'vitest';
import { sniffImage } from '../../../src/formats/sniff';
import { bearer, newUser, problem, type TestUser } from '../../support/client';
import { bytesOf, legacyUpload } from '../../support/image-api';
import { bmp, containsAscii, EXIF_MARKERS, jpeg, jpegWithExif, png, tiff } from '../../support/images';
import type { Scenario } from '../../support/scenarios';
import { type UploadedV1, upload } from '../../support/upload';

/**
 * Variants through HTTP, the same on every runtime: on Workers the Images binding (emulated by
 * the pool with sharp), on Node and Bun sharp itself. Output is decoded with the project's own
 * sniffer (type and size from the header), which runs everywhere.
 */
const imagesVariants: Scenario = (target) => {
  let user: TestUser;
  let image: UploadedV1; // PNG 64×48
  let rotated: UploadedV1; // JPEG stored 40×20 with EXIF orientation 6 (upright 20×40) and GPS

  beforeAll(async () => {
    user = await newUser(target(), 'variants');
    image = await upload(target(), user, await png(64, 48), { name: 'garden.png' });
    rotated = await upload(target(), user, jpegWithExif(40, 20, { orientation: 6, gps: true }), {
      name: 'phone photo.jpeg',
      contentType: 'image/jpeg',
    });
  });

  /** A fresh 64×48 PNG: each test makes its own variants, within MAX_VARIANTS_PER_IMAGE. */
  const fresh = async () => upload(target(), user, await png(64, 48), { name: 'garden.png' });

  const get = (path: string, headers: Record<string, string> = {}) =>
    target().fetch(path, { headers: bearer(user, headers) });
  const file = (img: Pick<UploadedV1, 'id'>, query: string) => `/api/v1/images/${img.id}/file?${query}`;

  /** Fetches a variant, expects 200, and returns what its bytes say. */
  async function variant(path: string, headers: Record<string, string> = {}) {
    const res = await get(path, headers);
    if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    const bytes = await bytesOf(res);
    const seen = sniffImage(bytes);
    return { res, bytes, type: seen?.contentType, size: seen && `${seen.width}x${seen.height}` };
  }

  describe('sizes', () => {
    it('width alone keeps the aspect ratio and the source format', async () => {
      const image = await fresh();
      const v = await variant(file(image, 'width=32'));
      expect([v.type, v.size]).toEqual(['image/png', '32x24']);
      expect(v.res.headers.get('content-type')).toBe('image/png');
      expect(v.res.headers.get('content-length')).toBe(String(v.bytes.length));
      expect(v.res.headers.get('etag')).toMatch(/^"v-[0-9a-f]{64}"$/);
      expect(v.res.headers.get('accept-ranges')).toBe('none');
      expect(v.res.headers.get('cache-control')).toMatch(/\bprivate\b/);
      expect(v.res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(v.res.headers.get('vary') ?? '').not.toMatch(/accept\b/i);
      expect(v.res.headers.get('content-disposition')).toMatch(/^inline; filename="garden\.png"/);
    });

    it('height alone, and each fit with both sides', async () => {
      const image = await fresh();
      const expected: Record<string, string> = {
        'height=12': '16x12',
        'width=32&height=32': '32x24', // inside (default)
        'width=32&height=32&fit=inside': '32x24',
        'width=32&height=32&fit=outside': '43x32',
        'width=32&height=32&fit=cover': '32x32',
        'width=32&height=32&fit=contain': '32x32',
        'width=32&height=32&fit=fill': '32x32',
        'width=10&fit=cover': '10x8', // one side: aspect kept whatever the fit
      };
      for (const [query, size] of Object.entries(expected)) {
        expect((await variant(file(image, query))).size, query).toBe(size);
      }
    });

    it('never upscales unless enlarge=true, and clamps a box to the image', async () => {
      const image = await fresh();
      const expected: Record<string, string> = {
        'width=128': '64x48',
        'width=128&enlarge=false': '64x48',
        'width=128&enlarge=true': '128x96',
        'width=100&height=100&fit=outside': '64x48',
        'width=100&height=100&fit=cover': '64x48',
        'width=100&height=100&fit=fill': '64x48',
        'width=100&height=30&fit=cover': '64x30',
        'width=100&height=100&fit=cover&enlarge=true': '100x100',
        'width=100&height=100&fit=contain&enlarge=true': '100x100',
        'width=100&height=100&enlarge=true': '100x75',
      };
      for (const [query, size] of Object.entries(expected)) {
        expect((await variant(file(image, query))).size, query).toBe(size);
      }
    });
  });

  describe('formats', () => {
    it('makes each format with its content type and file extension', async () => {
      const image = await fresh();
      const cases = [
        ['webp', 'image/webp', 'garden.webp'],
        ['avif', 'image/avif', 'garden.avif'],
        ['jpeg', 'image/jpeg', 'garden.jpg'],
        ['png', 'image/png', 'garden.png'],
      ] as const;
      for (const [format, type, name] of cases) {
        const v = await variant(file(image, `width=16&format=${format}`));
        expect([v.type, v.size], format).toEqual([type, '16x12']);
        expect(v.res.headers.get('content-type'), format).toBe(type);
        expect(v.res.headers.get('content-disposition'), format).toContain(`filename="${name}"`);
      }
    });

    it('converts at the original size when only a format or quality is given', async () => {
      const image = await fresh();
      expect(await variant(file(image, 'format=webp'))).toMatchObject({ type: 'image/webp', size: '64x48' });
      expect(await variant(file(image, 'format=jpeg&quality=30'))).toMatchObject({ type: 'image/jpeg', size: '64x48' });
      // PNG has no quality: the same variant, whatever is asked.
      const a = await get(file(image, 'format=png&quality=10'));
      const b = await get(file(image, 'format=png&quality=90'));
      expect(a.headers.get('etag')).toBe(b.headers.get('etag'));
    });

    it('gives each quality its own ETag', async () => {
      const image = await fresh();
      const low = await get(file(image, 'width=16&format=webp&quality=10'));
      const high = await get(file(image, 'width=16&format=webp&quality=90'));
      expect([low.status, high.status]).toEqual([200, 200]);
      expect(low.headers.get('etag')).not.toBe(high.headers.get('etag'));
    });

    it('format=auto picks by Accept and says Vary: Accept', async () => {
      const image = await fresh();
      const cases: [string | undefined, string][] = [
        ['image/avif,image/webp,image/apng,image/*,*/*;q=0.8', 'image/avif'],
        ['image/webp,*/*', 'image/webp'],
        ['image/avif;q=0, image/webp', 'image/webp'],
        ['image/*', 'image/png'], // a wildcard promises too little: the source's own default
        ['*/*', 'image/png'],
        [undefined, 'image/png'],
      ];
      for (const [accept, type] of cases) {
        const v = await variant(file(image, 'width=16&format=auto'), accept ? { accept } : {});
        expect(v.type, String(accept)).toBe(type);
        expect(v.res.headers.get('vary') ?? '', String(accept)).toMatch(/\bAccept\b/);
      }
      // A JPEG source falls back to JPEG.
      const photo = await variant(file(rotated, 'width=8&format=auto'), { accept: 'image/jpeg' });
      expect(photo.type).toBe('image/jpeg');
    });

    it('format=auto does not pick AVIF past 1200 px per side; format=avif there is refused', async () => {
      const wide = await upload(target(), user, jpeg(1600, 8), { name: 'wide.jpg', contentType: 'image/jpeg' });
      const auto = await variant(file(wide, 'format=auto'), { accept: 'image/avif,image/webp' });
      expect([auto.type, auto.size]).toEqual(['image/webp', '1600x8']);
      const avif = await get(file(wide, 'format=avif'));
      expect(avif.status).toBe(422);
      expect((await problem(avif)).detail).toMatch(/AVIF variants are at most 1200/);
      expect((await variant(file(wide, 'format=avif&width=1200'))).size).toBe('1200x6');
    });
  });

  describe('orientation and metadata', () => {
    it('serves the original exactly as stored, EXIF and all', async () => {
      const res = await get(`/api/v1/images/${rotated.id}/file`);
      const bytes = await bytesOf(res);
      expect(sniffImage(bytes)).toMatchObject({ width: 40, height: 20 });
      expect(containsAscii(bytes, 'Exif')).toBe(true);
    });

    it('applies EXIF orientation: a variant of a 40×20 photo turned a quarter is portrait', async () => {
      expect((await variant(file(rotated, 'format=jpeg'))).size).toBe('20x40');
      expect((await variant(file(rotated, 'width=10'))).size).toBe('10x20');
      expect((await variant(file(rotated, 'height=10&format=png'))).size).toBe('5x10');
      expect((await variant(file(rotated, 'width=20&height=20&fit=cover'))).size).toBe('20x20');
    });

    it('strips metadata: no EXIF (so no GPS) in any format', async () => {
      for (const format of ['jpeg', 'webp', 'png', 'avif']) {
        const v = await variant(file(rotated, `width=10&format=${format}`));
        for (const marker of EXIF_MARKERS) expect(containsAscii(v.bytes, marker), `${format} ${marker}`).toBe(false);
      }
    });
  });

  describe('conditional requests', () => {
    it('answers If-None-Match per variant with 304, and other variants and the original with 200', async () => {
      const image = await fresh();
      const a = (await get(file(image, 'width=20'))).headers.get('etag') ?? '';
      const b = (await get(file(image, 'width=21'))).headers.get('etag') ?? '';
      expect(a).not.toBe(b);
      const hit = await get(file(image, 'width=20'), { 'if-none-match': a });
      expect(hit.status).toBe(304);
      expect(hit.headers.get('etag')).toBe(a);
      expect((await bytesOf(hit)).length).toBe(0);
      expect((await get(file(image, 'width=21'), { 'if-none-match': a })).status).toBe(200);
      expect((await get(`/api/v1/images/${image.id}/file`, { 'if-none-match': a })).status).toBe(200);
      // The original's ETag is not a variant's.
      expect((await get(file(image, 'width=20'), { 'if-none-match': `"${image.sha256}"` })).status).toBe(200);
    });

    it('a negotiated variant answers 304 per chosen format, with Vary: Accept', async () => {
      const image = await fresh();
      const webp = { accept: 'image/webp' };
      const etag = (await get(file(image, 'width=20&format=auto'), webp)).headers.get('etag') ?? '';
      const hit = await get(file(image, 'width=20&format=auto'), { ...webp, 'if-none-match': etag });
      expect(hit.status).toBe(304);
      expect(hit.headers.get('vary') ?? '').toMatch(/\bAccept\b/);
      const png = await get(file(image, 'width=20&format=auto'), { accept: 'image/png', 'if-none-match': etag });
      expect(png.status).toBe(200);
    });

    it('ignores Range on a variant and sends it whole', async () => {
      const image = await fresh();
      const res = await get(file(image, 'width=20'), { range: 'bytes=0-9' });
      expect(res.status).toBe(200);
      expect((await bytesOf(res)).length).toBe(Number(res.headers.get('content-length')));
    });
  });

  describe('bad parameters', () => {
    const cases: [string, string][] = [
      ['width=0', 'width'],
      ['width=4097', 'width'],
      ['width=abc', 'width'],
      ['width=1.5', 'width'],
      ['height=-1', 'height'],
      ['quality=0', 'quality'],
      ['quality=101', 'quality'],
      ['fit=stretch&width=10', 'fit'],
      ['format=gif', 'format'],
      ['format=AUTO', 'format'],
      ['enlarge=yes&width=10', 'enlarge'],
      ['fit=cover', 'fit'],
      ['enlarge=true', 'enlarge'],
    ];
    it.each(cases)('?%s answers 400 naming %s', async (query, name) => {
      const res = await get(file(image, query));
      expect(res.status).toBe(400);
      const body = await problem(res);
      expect(body.errors?.map((e) => [e.name, e.in])).toContainEqual([name, 'query']);
    });
  });

  describe('images that get no variants', () => {
    it('BMP and TIFF: 422 for a variant, the original still 200', async () => {
      for (const [bytes, type] of [
        [bmp(8, 8), 'image/bmp'],
        [tiff(8, 8), 'image/tiff'],
      ] as const) {
        const img = await upload(target(), user, bytes, { name: 'old' });
        const res = await get(file(img, 'width=4'));
        expect(res.status, type).toBe(422);
        expect((await problem(res)).detail, type).toContain(type);
        const original = await get(`/api/v1/images/${img.id}/file`);
        expect(original.status, type).toBe(200);
        expect(await bytesOf(original)).toEqual(bytes);
      }
    });

    it('over MAX_VARIANT_PIXELS (50 MP) or 12000 px per side: 422, decided from the stored size', async () => {
      for (const [w, h] of [
        [8000, 8000],
        [12_001, 8],
      ]) {
        const big = await upload(target(), user, jpeg(w, h), { name: 'big.jpg', contentType: 'image/jpeg' });
        const res = await get(file(big, 'width=100'));
        expect(res.status, `${w}x${h}`).toBe(422);
        expect((await problem(res)).detail).toMatch(/variants are made of images up to/);
      }
    });

    it('a variant larger than the limits, even when asked with enlarge: 422', async () => {
      // 1×40 outside a 4096×4096 box would be 4096×163840.
      const thin = await upload(target(), user, await png(1, 40), { name: 'thin.png' });
      const res = await get(file(thin, 'width=4096&height=4096&fit=outside&enlarge=true'));
      expect(res.status).toBe(422);
      expect((await problem(res)).detail).toMatch(/That variant would be 4096×163840/);
    });

    it('bounds stored variants per image (MAX_VARIANTS_PER_IMAGE, 16): the 17th is refused, the thumbnail is not', async () => {
      const img = await upload(target(), user, await png(40, 40), { name: 'walked.png' });
      for (let w = 1; w <= 16; w++) expect((await get(file(img, `width=${w}`))).status, `width=${w}`).toBe(200);
      const refused = await get(file(img, 'width=17'));
      expect(refused.status).toBe(422);
      expect((await problem(refused)).detail).toMatch(/MAX_VARIANTS_PER_IMAGE/);
      // Ones already made are still served, and so is the list thumbnail.
      expect((await get(file(img, 'width=3'))).status).toBe(200);
      expect((await get(img.thumbnail_url, { accept: 'image/webp' })).status).toBe(200);
      expect((await get(`/api/v1/images/${img.id}/file`)).status).toBe(200);
    });
  });

  describe('thumbnails in lists', () => {
    it('every v1 image carries a thumbnail_url that serves a variant of at most 256×256', async () => {
      expect(image.thumbnail_url).toBe(`/api/v1/images/${image.id}/file?width=256&height=256&fit=inside&format=auto`);
      const page = (await (await get('/api/v1/images?limit=200')).json()) as { items: UploadedV1[] };
      expect(page.items.length).toBeGreaterThan(1);
      for (const item of page.items) expect(item.thumbnail_url).toContain(`/api/v1/images/${item.id}/file?`);
      const single = (await (await get(`/api/v1/images/${image.id}`)).json()) as UploadedV1;
      expect(single.thumbnail_url).toBe(image.thumbnail_url);
      const large = await upload(target(), user, await png(600, 300), { name: 'large.png' });
      const thumb = await variant(large.thumbnail_url, { accept: 'image/avif,image/webp' });
      expect([thumb.type, thumb.size]).toEqual(['image/avif', '256x128']);
    });

    it('legacy shapes and the legacy file path are unchanged: no thumbnail_url, no variants', async () => {
      const legacy = await legacyUpload(target(), user, await png(8, 8));
      expect(legacy).not.toHaveProperty('thumbnail_url');
      const res = await get(`/api/image/${image.id}?width=10&format=webp`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('image/png');
      expect(res.headers.get('etag')).toBe(`"${image.sha256}"`);
    });

    it('a deleted image takes its variants along: they answer 404', async () => {
      const img = await upload(target(), user, await png(20, 20), { name: 'gone.png' });
      expect((await get(file(img, 'width=5'))).status).toBe(200);
      const del = await target().fetch(`/api/v1/images/${img.id}`, { method: 'DELETE', headers: bearer(user) });
      expect(del.status).toBe(204);
      expect((await get(file(img, 'width=5'))).status).toBe(404);
    });

    it("another user's image answers 404 for variants too", async () => {
      const other = await newUser(target(), 'variants-other');
      const res = await target().fetch(file(image, 'width=5'), { headers: bearer(other) });
      expect(res.status).toBe(404);
    });
  });
};

export default imagesVariants;
