import { beforeAll, describe, expect, it } from 'vitest';
import { bearer, newUser, problem, type TestUser, withCookie } from '../../support/client';
import { bytesOf, MISSING_ID } from '../../support/image-api';
import { png, sha256Hex } from '../../support/images';
import type { Scenario } from '../../support/scenarios';
import { type UploadedV1, upload } from '../../support/upload';

const NAME = 'Größe 🌼.png';

const imagesFetch: Scenario = (target) => {
  let user: TestUser;
  let bytes: Uint8Array<ArrayBuffer>;
  let image: UploadedV1;
  const fileUrl = (surface: 'legacy' | 'v1') =>
    surface === 'legacy' ? `/api/image/${image.id}` : `/api/v1/images/${image.id}/file`;

  beforeAll(async () => {
    user = await newUser(target(), 'fetch');
    bytes = await png(64, 48);
    // The client claims JPEG; the stored type comes from the bytes.
    image = await upload(target(), user, bytes, { name: NAME, contentType: 'image/jpeg', tags: ['flower'] });
  });

  const get = (path: string, headers: Record<string, string> = {}) =>
    target().fetch(path, { headers: bearer(user, headers) });

  /** Runs a check on the legacy and the v1 path. */
  const onBoth = (title: string, check: (path: string) => Promise<void>) => {
    for (const surface of ['legacy', 'v1'] as const) {
      it(`${title} (${surface})`, () => check(fileUrl(surface)));
    }
  };

  describe('whole file', () => {
    onBoth('answers 200 with the bytes and every caching and safety header', async (path) => {
      const res = await get(path);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('image/png');
      expect(res.headers.get('content-length')).toBe(String(bytes.length));
      expect(res.headers.get('etag')).toBe(`"${await sha256Hex(bytes)}"`);
      const lastModified = res.headers.get('last-modified') ?? '';
      expect(lastModified).toMatch(/GMT$/);
      expect(Date.parse(lastModified) / 1000).toBe(image.created_at_unix);
      expect(res.headers.get('cache-control')).toMatch(/\bprivate\b/);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('accept-ranges')).toBe('bytes');
      const disposition = res.headers.get('content-disposition') ?? '';
      expect(disposition).toMatch(/^inline;/);
      expect(decodeURIComponent(/filename\*=UTF-8''([^;\s]+)/.exec(disposition)?.[1] ?? '')).toBe(NAME);
      expect(await bytesOf(res)).toEqual(bytes);
    });

    onBoth('serves the auth cookie as well as the bearer token', async (path) => {
      const res = await target().fetch(path, { headers: withCookie(user) });
      expect(res.status).toBe(200);
      expect(await bytesOf(res)).toEqual(bytes);
    });
  });

  describe('conditional requests', () => {
    onBoth('answers If-None-Match with the ETag with 304 and no body', async (path) => {
      const etag = (await get(path)).headers.get('etag') ?? '';
      const res = await get(path, { 'if-none-match': etag });
      expect(res.status).toBe(304);
      expect(res.headers.get('etag')).toBe(etag);
      expect((await bytesOf(res)).length).toBe(0);
      // A list containing it, and the weak form (weak comparison for GET), match too.
      expect((await get(path, { 'if-none-match': `"other", ${etag}` })).status).toBe(304);
      expect((await get(path, { 'if-none-match': `W/${etag}` })).status).toBe(304);
      expect((await get(path, { 'if-none-match': '*' })).status).toBe(304);
    });

    onBoth('answers a different If-None-Match with the full 200', async (path) => {
      const res = await get(path, { 'if-none-match': `"${'0'.repeat(64)}"` });
      expect(res.status).toBe(200);
      expect(await bytesOf(res)).toEqual(bytes);
    });
  });

  describe('ranges', () => {
    onBoth('answers bytes=0-9 with 206, Content-Range and the first 10 bytes', async (path) => {
      const res = await get(path, { range: 'bytes=0-9' });
      expect(res.status).toBe(206);
      expect(res.headers.get('content-range')).toBe(`bytes 0-9/${bytes.length}`);
      expect(res.headers.get('content-length')).toBe('10');
      expect(res.headers.get('content-type')).toBe('image/png');
      expect(await bytesOf(res)).toEqual(bytes.slice(0, 10));
    });

    onBoth('answers a suffix range bytes=-5 with the last 5 bytes', async (path) => {
      const res = await get(path, { range: 'bytes=-5' });
      expect(res.status).toBe(206);
      const n = bytes.length;
      expect(res.headers.get('content-range')).toBe(`bytes ${n - 5}-${n - 1}/${n}`);
      expect(await bytesOf(res)).toEqual(bytes.slice(n - 5));
    });

    onBoth('answers an open range bytes=10- with everything from byte 10', async (path) => {
      const res = await get(path, { range: 'bytes=10-' });
      expect(res.status).toBe(206);
      const n = bytes.length;
      expect(res.headers.get('content-range')).toBe(`bytes 10-${n - 1}/${n}`);
      expect(res.headers.get('content-length')).toBe(String(n - 10));
      expect(await bytesOf(res)).toEqual(bytes.slice(10));
    });

    onBoth('clamps a range that runs past the end to the last byte', async (path) => {
      const n = bytes.length;
      const res = await get(path, { range: `bytes=${n - 3}-${n + 100}` });
      expect(res.status).toBe(206);
      expect(res.headers.get('content-range')).toBe(`bytes ${n - 3}-${n - 1}/${n}`);
      expect(await bytesOf(res)).toEqual(bytes.slice(n - 3));
    });

    onBoth('answers a range that starts past the end with 416 and Content-Range: bytes */size', async (path) => {
      const n = bytes.length;
      for (const range of [`bytes=${n}-`, `bytes=${n + 10}-${n + 20}`]) {
        const res = await get(path, { range });
        expect(res.status).toBe(416);
        expect(res.headers.get('content-range')).toBe(`bytes */${n}`);
        expect((await problem(res)).status).toBe(416);
      }
    });

    onBoth('ignores a malformed or multi-part Range and sends the whole file', async (path) => {
      for (const range of ['bytes=9-2', 'bytes=0-1,5-6', 'items=0-9', 'bytes=abc']) {
        const res = await get(path, { range });
        expect(res.status, range).toBe(200);
        expect(await bytesOf(res)).toEqual(bytes);
      }
    });

    onBoth('honours If-Range: the current ETag gives the range, a stale one the whole file', async (path) => {
      const etag = `"${image.sha256}"`;
      const fresh = await get(path, { range: 'bytes=0-9', 'if-range': etag });
      expect(fresh.status).toBe(206);
      expect(await bytesOf(fresh)).toEqual(bytes.slice(0, 10));
      const stale = await get(path, { range: 'bytes=0-9', 'if-range': `"${'f'.repeat(64)}"` });
      expect(stale.status).toBe(200);
      expect(await bytesOf(stale)).toEqual(bytes);
    });
  });

  describe('metadata', () => {
    it('answers GET /api/v1/images/{id} with what the upload returned', async () => {
      const res = await get(`/api/v1/images/${image.id}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      const body = (await res.json()) as UploadedV1;
      expect(body).toEqual(image);
      expect(body).toMatchObject({ content_type: 'image/png', width: 64, height: 48, tags: ['flower'] });
    });

    it('answers 404 problem for an id that does not exist, on every read path', async () => {
      for (const path of [
        `/api/image/${MISSING_ID}`,
        `/api/v1/images/${MISSING_ID}`,
        `/api/v1/images/${MISSING_ID}/file`,
      ]) {
        const res = await get(path);
        expect(res.status, path).toBe(404);
        expect(await problem(res)).toMatchObject({ status: 404, title: 'Not Found' });
      }
    });
  });
};

export default imagesFetch;
