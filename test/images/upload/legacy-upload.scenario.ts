import { beforeAll, describe, expect, it } from 'vitest';
import { bearer, form, legacyCredentials, newUser, problem, type TestUser, uniqueEmail } from '../../support/client';
import { bytesOf, getJson, legacyIds, type UploadedLegacy, type V1Page, v1Ids } from '../../support/image-api';
import { png, sha256Hex, svg } from '../../support/images';
import type { Scenario } from '../../support/scenarios';
import { imagePart, multipart, type Part, postParts, type UploadedV1 } from '../../support/upload';

/** What the original service's own integration tests upload, declared `image/png`. */
const FAKE = new Uint8Array(new TextEncoder().encode('some-fake-bytes'));
const text = (s: string) => new Uint8Array(new TextEncoder().encode(s));

/** The headers that keep a browser from rendering unverified bytes as anything but a download. */
function expectDownloadOnly(res: Response, name: string) {
  expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  expect(res.headers.get('content-security-policy')).toBe('sandbox');
  const disposition = res.headers.get('content-disposition') ?? '';
  expect(disposition).toMatch(/^attachment;/);
  expect(decodeURIComponent(/filename\*=UTF-8''([^;\s]+)/.exec(disposition)?.[1] ?? '')).toBe(name);
}

const legacyUpload: Scenario = (target) => {
  const post = (path: string, parts: Part[], user: TestUser) => postParts(target(), path, parts, user);
  /** The original client names its file `test.png` and may declare any type, or none. */
  const legacyImagePart = (value: Uint8Array, contentType: string | undefined, filename = 'test.png') =>
    imagePart(value, { contentType, filename });

  describe('the original service’s integration flow, as its Python requests client runs it', () => {
    const email = uniqueEmail('legacy-flow');
    const password = 'correct horse battery';
    let cookie = '';
    let uploaded: UploadedLegacy;
    const send = (path: string, init: RequestInit = {}) =>
      target().fetch(path, { ...init, headers: { ...(init.headers as Record<string, string>), cookie } });

    beforeAll(async () => {
      // requests.post(url, data={...}): form bodies, and the session keeps the cookie.
      const reg = await legacyCredentials(target(), '/api/user/register', email, password);
      expect(reg.status).toBe(201);
      const login = await legacyCredentials(target(), '/api/user/login', email, password);
      expect(login.status).toBe(200);
      cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
      expect(cookie).toMatch(/^auth_token=./);
    });

    it('uploads b"some-fake-bytes" declared image/png with a JSON tags part: 201 as before', async () => {
      // files=[("image", ("test.png", b"some-fake-bytes", "image/png")),
      //        ("tags", (None, json.dumps(["cat", "garden"]), "application/json"))]
      const { body, contentType } = multipart([
        legacyImagePart(FAKE, 'image/png'),
        { name: 'tags', value: JSON.stringify(['cat', 'garden']), contentType: 'application/json' },
      ]);
      const res = await send('/api/images', { method: 'POST', headers: { 'content-type': contentType }, body });
      expect(res.status).toBe(201);
      uploaded = (await res.json()) as UploadedLegacy;
      // The legacy shape is unchanged: no `verified` here (it is in v1 metadata).
      expect(Object.keys(uploaded).sort()).toEqual(
        ['content_type', 'created_at', 'height', 'img_id', 'name', 'sha256', 'size', 'tags', 'width'].sort(),
      );
      expect(uploaded).toMatchObject({
        name: 'test.png',
        size: 15,
        content_type: 'image/png',
        tags: ['cat', 'garden'],
        sha256: await sha256Hex(FAKE),
        width: null,
        height: null,
      });
      expect(res.headers.get('location')).toBe(`/api/image/${uploaded.img_id}`);
    });

    it('fetches the bytes back: 200, the declared type, and served as a download only', async () => {
      const res = await send(`/api/image/${uploaded.img_id}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('image/png');
      expectDownloadOnly(res, 'test.png');
      expect(await bytesOf(res)).toEqual(FAKE);
    });

    it('lists it', async () => {
      const res = await send('/api/images');
      expect(res.status).toBe(200);
      const list = (await res.json()) as UploadedLegacy[];
      expect(list.find((i) => i.img_id === uploaded.img_id)).toMatchObject({
        content_type: 'image/png',
        size: 15,
        tags: ['cat', 'garden'],
      });
      const tagged = (await (await send('/api/images?tag=garden')).json()) as UploadedLegacy[];
      expect(tagged.map((i) => i.img_id)).toEqual([uploaded.img_id]);
    });

    it('runs the tag operations on it', async () => {
      const tags = `/api/${uploaded.img_id}/tags`;
      const expectTags = async (res: Promise<Response>, status: number, expected: string[]) => {
        const r = await res;
        expect(r.status).toBe(status);
        expect(await r.json()).toEqual(expected);
      };
      await expectTags(send(tags), 200, ['cat', 'garden']);
      // requests.put(url, data={"tags": [...]}): repeated form keys, cookie, no Origin.
      const put = form(
        [
          ['tags', 'dog'],
          ['tags', 'park'],
        ],
        { method: 'PUT' },
      );
      await expectTags(send(tags, put), 200, ['dog', 'park']);
      await expectTags(send(`${tags}/beach`, { method: 'POST' }), 201, ['dog', 'park', 'beach']);
      await expectTags(send(`${tags}/beach`, { method: 'POST' }), 200, ['dog', 'park', 'beach']);
      await expectTags(send(`${tags}/park`, { method: 'DELETE' }), 200, ['dog', 'beach']);
      await expectTags(send(tags), 200, ['dog', 'beach']);
      await expectTags(send(tags, { method: 'DELETE' }), 200, []);
      await expectTags(send(tags), 200, []);
    });

    it('deletes it like any other image', async () => {
      const res = await send(`/api/image/${uploaded.img_id}`, { method: 'DELETE' });
      expect(res.status).toBe(200);
      expect((await send(`/api/image/${uploaded.img_id}`)).status).toBe(404);
    });
  });

  describe('unverified images', () => {
    let user: TestUser;
    let fake: UploadedLegacy;
    let real: UploadedLegacy;
    let realBytes: Uint8Array<ArrayBuffer>;
    const NAME = 'fälschung 📷.png';

    beforeAll(async () => {
      user = await newUser(target(), 'unverified');
      realBytes = await png(6, 5);
      const f = await post('/api/images', [legacyImagePart(FAKE, 'image/png', NAME)], user);
      expect(f.status).toBe(201);
      fake = (await f.json()) as UploadedLegacy;
      // A real PNG declared as JPEG: recognised, so stored as PNG and verified.
      const r = await post('/api/images', [legacyImagePart(realBytes, 'image/jpeg', 'real.jpg')], user);
      expect(r.status).toBe(201);
      real = (await r.json()) as UploadedLegacy;
    });

    const get = (path: string, headers: Record<string, string> = {}) =>
      target().fetch(path, { headers: bearer(user, headers) });
    const files = () => [`/api/image/${fake.img_id}`, `/api/v1/images/${fake.img_id}/file`];

    it('stores recognised bytes under the recognised type, whatever the claim, verified', async () => {
      expect(real).toMatchObject({ content_type: 'image/png', width: 6, height: 5, size: realBytes.length });
      const meta = await getJson<UploadedV1>(target(), user, `/api/v1/images/${real.img_id}`);
      expect(meta).toMatchObject({ content_type: 'image/png', verified: true });
      const res = await get(`/api/image/${real.img_id}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('image/png');
      expect(res.headers.get('content-disposition')).toMatch(/^inline;/);
      expect(res.headers.get('content-security-policy')).not.toContain('sandbox');
      expect(await bytesOf(res)).toEqual(realBytes);
    });

    it('reports verified: false in v1 metadata and list items, true for the others', async () => {
      const meta = await getJson<UploadedV1>(target(), user, `/api/v1/images/${fake.img_id}`);
      expect(meta).toMatchObject({
        id: fake.img_id,
        name: NAME,
        content_type: 'image/png',
        size: 15,
        width: null,
        height: null,
        verified: false,
      });
      const page = await getJson<V1Page>(target(), user, '/api/v1/images');
      const flags = Object.fromEntries(page.items.map((i) => [i.id, i.verified]));
      expect(flags).toEqual({ [fake.img_id]: false, [real.img_id]: true });
    });

    it('serves them as a download only on every path that serves bytes', async () => {
      for (const path of files()) {
        const res = await get(path);
        expect(res.status, path).toBe(200);
        expect(res.headers.get('content-type')).toBe('image/png');
        expectDownloadOnly(res, NAME);
        expect(await bytesOf(res)).toEqual(FAKE);
      }
    });

    it('keeps those headers on a range (206) and a revalidation (304)', async () => {
      for (const path of files()) {
        const part = await get(path, { range: 'bytes=5-8' });
        expect(part.status, path).toBe(206);
        expect(part.headers.get('content-range')).toBe('bytes 5-8/15');
        expectDownloadOnly(part, NAME);
        expect(await bytesOf(part)).toEqual(FAKE.slice(5, 9));

        const same = await get(path, { 'if-none-match': `"${fake.sha256}"` });
        expect(same.status, path).toBe(304);
        expectDownloadOnly(same, NAME);
      }
    });

    it('stores an alias of an accepted type under its standard name', async () => {
      const res = await post('/api/images', [legacyImagePart(FAKE, 'image/jpg', 'old.jpg')], user);
      expect(res.status).toBe(201);
      const img = (await res.json()) as UploadedLegacy;
      expect(img.content_type).toBe('image/jpeg');
      const file = await get(`/api/image/${img.img_id}`);
      expect(file.headers.get('content-type')).toBe('image/jpeg');
      expectDownloadOnly(file, 'old.jpg');
    });
  });

  describe('still refused', () => {
    let refusing: TestUser;
    beforeAll(async () => {
      refusing = await newUser(target(), 'legacy-refused');
    });

    const expectNothingStored = async () => {
      expect(await v1Ids(target(), refusing)).toEqual([]);
      expect(await legacyIds(target(), refusing)).toEqual([]);
    };

    const html = '<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>';
    const refused: [string, Uint8Array, string | undefined][] = [
      ['fake bytes with no declared type', FAKE, undefined],
      ['fake bytes declared text/plain', FAKE, 'text/plain'],
      ['fake bytes declared application/octet-stream', FAKE, 'application/octet-stream'],
      ['fake bytes declared image/svg+xml', FAKE, 'image/svg+xml'],
      ['fake bytes declared as an image type not accepted (image/heic)', FAKE, 'image/heic'],
      ['SVG bytes declared image/png', svg(), 'image/png'],
      ['SVG bytes with a BOM and prolog declared image/png', svg({ bom: true, prolog: true }), 'image/png'],
      ['HTML bytes declared image/png', text(html), 'image/png'],
      ['HTML after whitespace declared image/png', text(`\r\n \t${html}`), 'image/png'],
      ['XML declared image/png', text('<?xml version="1.0"?><note>hi</note>'), 'image/png'],
      ['a bare script tag declared image/png', text('<script>alert(1)</script>'), 'image/png'],
      ['a script tag after text declared image/png', text(`GIF-ish junk\n<script src=x></script>`), 'image/png'],
      ['a shell script declared image/png', text('#!/bin/sh\necho hi\n'), 'image/png'],
      ['a PDF declared image/png', text('%PDF-1.7\n1 0 obj\n'), 'image/png'],
    ];
    it.each(refused)('answers 415 for %s', async (_, bytes, contentType) => {
      const res = await post('/api/images', [legacyImagePart(bytes, contentType)], refusing);
      expect(res.status).toBe(415);
      expect((await problem(res)).status).toBe(415);
      await expectNothingStored();
    });

    it('names SVG when the bytes are SVG', async () => {
      const res = await post('/api/images', [legacyImagePart(svg(), 'image/png', 'logo.png')], refusing);
      expect(res.status).toBe(415);
      expect((await problem(res)).detail).toMatch(/SVG/);
    });

    it('v1 stays strict: fake bytes declared image/png → 415', async () => {
      for (const type of ['image/png', 'image/jpeg']) {
        const res = await post('/api/v1/images', [legacyImagePart(FAKE, type)], refusing);
        expect(res.status).toBe(415);
        expect((await problem(res)).detail).toMatch(/not a supported image/);
      }
      await expectNothingStored();
    });
  });
};

export default legacyUpload;
