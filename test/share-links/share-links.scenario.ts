import { beforeAll, describe, expect, it } from 'vitest';
import { sniffImage } from '../../src/formats/sniff';
import { bearer, json, newUser, problem, type TestUser } from '../support/client';
import { bytesOf } from '../support/image-api';
import { bmp, png, sha256Hex } from '../support/images';
import type { Scenario } from '../support/scenarios';
import type { Target } from '../support/target';
import { type UploadedV1, upload } from '../support/upload';

interface ShareLink {
  id: string;
  url: string;
  image_id: number;
  variant: Record<string, unknown> | null;
  created_at: string;
  expires_at: string;
  expires_at_unix: number;
}

const DAY = 24 * 60 * 60;

const shareLinks: Scenario = (target) => {
  let owner: TestUser;
  let other: TestUser;
  let image: UploadedV1;
  let bytes: Uint8Array<ArrayBuffer>;

  beforeAll(async () => {
    owner = await newUser(target(), 'sharer');
    other = await newUser(target(), 'stranger');
    bytes = await png(64, 48);
    image = await upload(target(), owner, bytes, { name: 'shared.png' });
  });

  const linksOf = (id: number) => `/api/v1/images/${id}/links`;
  const create = (t: Target, user: TestUser, id: number, body: unknown) =>
    t.fetch(linksOf(id), json(body, { headers: bearer(user) }));
  async function newLink(body: unknown = {}, id = image.id): Promise<ShareLink> {
    const res = await create(target(), owner, id, body);
    if (res.status !== 201) throw new Error(`create link: ${res.status} ${await res.text()}`);
    return (await res.json()) as ShareLink;
  }
  /** The public fetch: the link's path, no credentials at all. */
  const open = (link: Pick<ShareLink, 'url'>, headers: Record<string, string> = {}, suffix = '') =>
    target().fetch(`${new URL(link.url).pathname}${suffix}`, { headers });

  describe('making and using a link', () => {
    it('POST {} makes a link to the original that lasts a day', async () => {
      const before = Math.floor(Date.now() / 1000);
      const link = await newLink();
      expect(link.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(link.url).toMatch(/^https?:\/\/[^/]+\/api\/v1\/shared\/[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$/);
      expect(new URL(link.url).pathname).toContain(link.id);
      expect(link).toMatchObject({ image_id: image.id, variant: null });
      // Within a few minutes of a day from now, whatever the clocks of test and server say.
      expect(Math.abs(link.expires_at_unix - (before + DAY))).toBeLessThan(300);
      expect(Math.floor(Date.parse(link.expires_at) / 1000)).toBe(link.expires_at_unix);
    });

    it('fetches the original without credentials: private max-age of the time left, no cookie, embeddable', async () => {
      const link = await newLink({ expires_in: 3600 });
      const res = await open(link);
      expect(res.status).toBe(200);
      expect(await bytesOf(res)).toEqual(bytes);
      expect(res.headers.get('content-type')).toBe('image/png');
      expect(res.headers.get('etag')).toBe(`"${await sha256Hex(bytes)}"`);
      const maxAge = Number(/^private, max-age=(\d+)$/.exec(res.headers.get('cache-control') ?? '')?.[1]);
      expect(maxAge).toBeGreaterThan(3300);
      expect(maxAge).toBeLessThanOrEqual(3600);
      expect(res.headers.get('set-cookie')).toBeNull();
      expect(res.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
      expect(res.headers.get('content-disposition')).toContain('shared.png');
    });

    it('ignores any cookie or bearer sent along, and answers conditional and range requests', async () => {
      const link = await newLink();
      const withCredentials = await open(link, bearer(other, { cookie: other.cookie }));
      expect(withCredentials.status).toBe(200);
      expect(withCredentials.headers.get('set-cookie')).toBeNull();
      const etag = withCredentials.headers.get('etag') ?? '';
      await bytesOf(withCredentials);
      const notModified = await open(link, { 'if-none-match': etag });
      expect(notModified.status).toBe(304);
      expect(notModified.headers.get('cache-control')).toMatch(/^private, max-age=\d+$/);
      const range = await open(link, { range: 'bytes=0-7' });
      expect(range.status).toBe(206);
      expect(await bytesOf(range)).toEqual(bytes.slice(0, 8));
    });

    it('serves only the pinned variant; query parameters on the link change nothing', async () => {
      const link = await newLink({ variant: { width: 16, format: 'webp' }, expires_in: 600 });
      expect(link.variant).toEqual({ width: 16, format: 'webp' });
      for (const suffix of ['', '?width=999&format=png']) {
        const res = await open(link, {}, suffix);
        expect(res.status, suffix).toBe(200);
        expect(res.headers.get('content-type')).toBe('image/webp');
        expect(sniffImage(await bytesOf(res))).toMatchObject({ contentType: 'image/webp', width: 16, height: 12 });
      }
      const original = await newLink();
      const res = await open(original, {}, '?width=10');
      expect(sniffImage(await bytesOf(res))).toMatchObject({ contentType: 'image/png', width: 64, height: 48 });
    });

    it('a pinned format=auto answers by the visitor’s Accept, with Vary: Accept', async () => {
      const link = await newLink({ variant: { width: 16, format: 'auto' } });
      const webp = await open(link, { accept: 'image/webp' });
      expect(webp.headers.get('content-type')).toBe('image/webp');
      expect(webp.headers.get('vary') ?? '').toMatch(/\bAccept\b/);
      const plain = await open(link, { accept: 'image/png' });
      expect(plain.headers.get('content-type')).toBe('image/png');
    });
  });

  describe('listing and revoking', () => {
    it('lists live links newest first, with the same urls', async () => {
      const img = await upload(target(), owner, await png(8, 8));
      const first = await newLink({}, img.id);
      const second = await newLink({ variant: { width: 4 } }, img.id);
      const res = await target().fetch(linksOf(img.id), { headers: bearer(owner) });
      expect(res.status).toBe(200);
      const { items } = (await res.json()) as { items: ShareLink[] };
      expect(items.map((l) => l.id)).toEqual([second.id, first.id]);
      expect(items[1]).toEqual(first);
      expect(items[0]).toEqual(second);
    });

    it('revoking stops the link at once; revoking again, or an unknown link, is 404', async () => {
      const img = await upload(target(), owner, await png(8, 8));
      const link = await newLink({}, img.id);
      const kept = await newLink({}, img.id);
      expect((await open(link)).status).toBe(200);
      const del = await target().fetch(`${linksOf(img.id)}/${link.id}`, { method: 'DELETE', headers: bearer(owner) });
      expect(del.status).toBe(204);
      const gone = await open(link);
      expect(gone.status).toBe(404);
      expect((await problem(gone)).detail).toBe('No such share link.');
      expect((await open(kept)).status).toBe(200);
      const listed = (await (await target().fetch(linksOf(img.id), { headers: bearer(owner) })).json()) as {
        items: ShareLink[];
      };
      expect(listed.items.map((l) => l.id)).toEqual([kept.id]);
      const again = await target().fetch(`${linksOf(img.id)}/${link.id}`, { method: 'DELETE', headers: bearer(owner) });
      expect(again.status).toBe(404);
      // A link id that belongs to another image of the same owner is not found under this one.
      const elsewhere = await target().fetch(`${linksOf(image.id)}/${kept.id}`, {
        method: 'DELETE',
        headers: bearer(owner),
      });
      expect(elsewhere.status).toBe(404);
      expect((await open(kept)).status).toBe(200);
    });

    it('deleting the image kills its links', async () => {
      const img = await upload(target(), owner, await png(8, 8));
      const link = await newLink({}, img.id);
      const pinned = await newLink({ variant: { width: 4 } }, img.id);
      const del = await target().fetch(`/api/v1/images/${img.id}`, { method: 'DELETE', headers: bearer(owner) });
      expect(del.status).toBe(204);
      for (const l of [link, pinned]) expect((await open(l)).status).toBe(404);
    });
  });

  describe('links that do not work answer the same 404', () => {
    it('an altered, truncated or made-up token', async () => {
      const link = await newLink();
      const path = new URL(link.url).pathname;
      const token = path.slice(path.lastIndexOf('/') + 1);
      const flip = (s: string, i: number) => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);
      const [id = '', mac = ''] = token.split('.');
      const bad = [
        `${flip(id, 3)}.${mac}`,
        `${id}.${flip(mac, 10)}`,
        `${id}.${flip(mac, mac.length - 1)}`,
        `${id}.${mac.slice(0, -1)}`,
        id,
        'nonsense',
        `${id}.${mac}.extra`,
        `${'A'.repeat(22)}.${'A'.repeat(43)}`,
      ];
      for (const t of bad) {
        const res = await target().fetch(`/api/v1/shared/${t}`);
        expect(res.status, t).toBe(404);
        expect((await problem(res)).detail, t).toBe('No such share link.');
      }
    });
  });

  describe('bad requests', () => {
    it.each([
      [{ expires_in: 59 }, 'expires_in'],
      [{ expires_in: 30 * DAY + 1 }, 'expires_in'],
      [{ expires_in: 1.5 }, 'expires_in'],
      [{ expires_in: '3600' }, 'expires_in'],
      [{ variant: { width: 0 } }, 'variant.width'],
      [{ variant: { width: 4097 } }, 'variant.width'],
      [{ variant: { quality: 101, format: 'webp' } }, 'variant.quality'],
      [{ variant: { fit: 'cover' } }, 'variant.fit'],
      [{ variant: { enlarge: true } }, 'variant.enlarge'],
      [{ variant: { format: 'gif' } }, 'variant.format'],
      [{ variant: { widht: 10 } }, 'variant'],
      [{ expires: 60 }, 'body'],
    ])('%j answers 400 naming %s', async (body, name) => {
      const res = await create(target(), owner, image.id, body);
      expect(res.status).toBe(400);
      const names = (await problem(res)).errors?.map((e) => e.name) ?? [];
      expect(names.some((n) => n === name || n.startsWith(`${name}.`) || (name === 'body' && n !== ''))).toBe(true);
    });

    it('no body at all counts as {}; a form or broken JSON is refused', async () => {
      const none = await target().fetch(linksOf(image.id), { method: 'POST', headers: bearer(owner) });
      expect(none.status).toBe(201);
      expect(await none.json()).toMatchObject({ variant: null, image_id: image.id });
      const form = await target().fetch(linksOf(image.id), {
        method: 'POST',
        headers: bearer(owner, { 'content-type': 'application/x-www-form-urlencoded' }),
        body: 'expires_in=60',
      });
      expect(form.status).toBe(415);
      await problem(form);
      const broken = await target().fetch(linksOf(image.id), {
        method: 'POST',
        headers: bearer(owner, { 'content-type': 'application/json' }),
        body: '{"expires_in":',
      });
      expect(broken.status).toBe(400);
      await problem(broken);
    });

    it('a pinned variant of an image that gets none is 422; a link to its original is fine', async () => {
      const old = await upload(target(), owner, bmp(4, 4), { name: 'old.bmp' });
      const refused = await create(target(), owner, old.id, { variant: { width: 2 } });
      expect(refused.status).toBe(422);
      await problem(refused);
      const link = await newLink({}, old.id);
      expect((await open(link)).status).toBe(200);
    });

    it('needs credentials to make, list or revoke, and another user’s image is not found', async () => {
      const link = await newLink();
      const anonymous = [
        target().fetch(linksOf(image.id), json({})),
        target().fetch(linksOf(image.id)),
        target().fetch(`${linksOf(image.id)}/${link.id}`, { method: 'DELETE' }),
      ];
      for (const res of await Promise.all(anonymous)) expect(res.status).toBe(401);
      const stranger = [
        await create(target(), other, image.id, {}),
        await target().fetch(linksOf(image.id), { headers: bearer(other) }),
        await target().fetch(`${linksOf(image.id)}/${link.id}`, { method: 'DELETE', headers: bearer(other) }),
      ];
      for (const res of stranger) expect(res.status).toBe(404);
      expect((await open(link)).status).toBe(200);
      const badId = await target().fetch(`${linksOf(image.id)}/not-an-id`, {
        method: 'DELETE',
        headers: bearer(owner),
      });
      expect(badId.status).toBe(400);
    });

    it('caps links per image at 50 (409), and revoking one makes room', async () => {
      const img = await upload(target(), owner, await png(4, 4));
      let last: ShareLink | undefined;
      for (let i = 0; i < 50; i++) last = await newLink({ expires_in: 60 }, img.id);
      const refused = await create(target(), owner, img.id, {});
      expect(refused.status).toBe(409);
      expect((await problem(refused)).detail).toMatch(/50 share links/);
      await target().fetch(`${linksOf(img.id)}/${last?.id}`, { method: 'DELETE', headers: bearer(owner) });
      expect((await create(target(), owner, img.id, {})).status).toBe(201);
    });
  });
};

export default shareLinks;
