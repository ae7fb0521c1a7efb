import { beforeAll, describe, expect, it } from 'vitest';
import { bearer, form, json, newUser, problem, type TestUser, withCookie } from '../../support/client';
import { getJson, v1Ids } from '../../support/image-api';
import { png } from '../../support/images';
import type { Scenario } from '../../support/scenarios';
import { upload } from '../../support/upload';

type TagCounts = { items: { name: string; count: number }[] };

interface Surface {
  name: 'legacy' | 'v1';
  tags: (id: number) => string;
  /** Reads a tag answer, checking it has this surface's shape. */
  read: (body: unknown) => string[];
}

const SURFACES: Surface[] = [
  {
    name: 'legacy',
    tags: (id) => `/api/${id}/tags`,
    read: (body) => {
      expect(Array.isArray(body)).toBe(true);
      return body as string[];
    },
  },
  {
    name: 'v1',
    tags: (id) => `/api/v1/images/${id}/tags`,
    read: (body) => {
      expect(Object.keys(body as object)).toEqual(['tags']);
      return (body as { tags: string[] }).tags;
    },
  },
];

const fifty = () => Array.from({ length: 50 }, (_, i) => `tag-${i}`);

const tagsScenario: Scenario = (target) => {
  let user: TestUser;
  let bytes: Uint8Array<ArrayBuffer>;

  beforeAll(async () => {
    user = await newUser(target(), 'tags');
    bytes = await png(4, 4);
  });

  const newImage = async (tags: string[] = []) => (await upload(target(), user, bytes, { tags })).id;

  describe.each(SURFACES)('$name tag routes', (s) => {
    const send = async (method: string, path: string, init: RequestInit = {}) => {
      const res = await target().fetch(path, {
        ...init,
        method,
        headers: { ...bearer(user), ...(init.headers as Record<string, string> | undefined) },
      });
      return res;
    };
    /** Sends, expects `status`, returns the tags in the answer. */
    const expectTags = async (res: Response | Promise<Response>, status: number) => {
      const r = await res;
      if (r.status !== status) throw new Error(`expected ${status}, got ${r.status}: ${await r.text()}`);
      expect(r.headers.get('content-type')).toMatch(/^application\/json/);
      return s.read(await r.json());
    };
    const current = (id: number) => expectTags(send('GET', s.tags(id)), 200);
    const one = (id: number, tag: string) => `${s.tags(id)}/${encodeURIComponent(tag)}`;

    it('GET answers the tags in upload order', async () => {
      const id = await newImage(['zeta', 'alpha', 'mid']);
      expect(await current(id)).toEqual(['zeta', 'alpha', 'mid']);
      expect(await current(await newImage())).toEqual([]);
    });

    it('PUT with JSON {"tags": [...]} replaces them all and answers the new list', async () => {
      const id = await newImage(['old', 'keep']);
      const put = await expectTags(send('PUT', s.tags(id), json({ tags: ['keep', 'new', 'keep', ' other '] })), 200);
      expect(put).toEqual(['keep', 'new', 'other']);
      expect(await current(id)).toEqual(['keep', 'new', 'other']);
      // Reordering the same tags takes the new order.
      expect(await expectTags(send('PUT', s.tags(id), json({ tags: ['other', 'keep'] })), 200)).toEqual([
        'other',
        'keep',
      ]);
      expect(await current(id)).toEqual(['other', 'keep']);
      // An empty list clears them.
      expect(await expectTags(send('PUT', s.tags(id), json({ tags: [] })), 200)).toEqual([]);
    });

    it('PUT with a form tags=a&tags=b, the auth cookie and no Origin or Sec-Fetch-Site (as scripts send it)', async () => {
      const id = await newImage(['before']);
      const res = await target().fetch(
        s.tags(id),
        form(
          [
            ['tags', 'a'],
            ['tags', 'b'],
          ],
          { method: 'PUT', headers: withCookie(user) },
        ),
      );
      expect(await expectTags(res, 200)).toEqual(['a', 'b']);
      expect(await current(id)).toEqual(['a', 'b']);
      // A single field is a list of one.
      const single = await target().fetch(
        s.tags(id),
        form([['tags', 'solo']], { method: 'PUT', headers: withCookie(user) }),
      );
      expect(await expectTags(single, 200)).toEqual(['solo']);
    });

    it('POST adds a tag at the end: 201 with the full list, then 200 when already there', async () => {
      const id = await newImage(['first']);
      expect(await expectTags(send('POST', one(id, 'second')), 201)).toEqual(['first', 'second']);
      expect(await expectTags(send('POST', one(id, 'second')), 200)).toEqual(['first', 'second']);
      expect(await expectTags(send('POST', one(id, 'first')), 200)).toEqual(['first', 'second']);
      expect(await current(id)).toEqual(['first', 'second']);
    });

    it('DELETE of one tag answers 200 with the rest, keeping their order', async () => {
      const id = await newImage(['z', 'a', 'm']);
      expect(await expectTags(send('DELETE', one(id, 'a')), 200)).toEqual(['z', 'm']);
      // Removing a tag that is not there changes nothing.
      expect(await expectTags(send('DELETE', one(id, 'absent')), 200)).toEqual(['z', 'm']);
      // Adding it back puts it at the end.
      expect(await expectTags(send('POST', one(id, 'a')), 201)).toEqual(['z', 'm', 'a']);
      expect(await current(id)).toEqual(['z', 'm', 'a']);
    });

    it('DELETE of all tags answers 200 and []', async () => {
      const id = await newImage(['x', 'y']);
      expect(await expectTags(send('DELETE', s.tags(id)), 200)).toEqual([]);
      expect(await current(id)).toEqual([]);
      // The image itself stays.
      expect((await send('GET', `/api/v1/images/${id}`)).status).toBe(200);
      expect(await expectTags(send('DELETE', s.tags(id)), 200)).toEqual([]);
    });

    it('handles spaces, an encoded slash, unicode and emoji in paths and bodies', async () => {
      const names = ['two words', 'a/b', 'café', '日本', '🐱‍👤', 'c++', '100%', 'q?x#y'];
      const id = await newImage();
      for (const [i, name] of names.entries()) {
        expect(await expectTags(send('POST', one(id, name)), 201)).toEqual(names.slice(0, i + 1));
      }
      expect(await current(id)).toEqual(names);
      // Every one of them can be filtered on and removed by path.
      for (const name of names) {
        expect(await v1Ids(target(), user, `tag=${encodeURIComponent(name)}`)).toContain(id);
      }
      expect(await expectTags(send('DELETE', one(id, 'a/b')), 200)).toEqual(names.filter((n) => n !== 'a/b'));
      expect(await expectTags(send('DELETE', one(id, '日本')), 200)).toEqual(
        names.filter((n) => n !== 'a/b' && n !== '日本'),
      );
      // And the same names in a body.
      const put = await expectTags(send('PUT', s.tags(id), json({ tags: names })), 200);
      expect(put).toEqual(names);
    });

    it('keeps case: Cat and cat are two tags', async () => {
      const id = await newImage(['Cat', 'cat']);
      expect(await current(id)).toEqual(['Cat', 'cat']);
      expect(await expectTags(send('DELETE', one(id, 'cat')), 200)).toEqual(['Cat']);
      expect(await expectTags(send('POST', one(id, 'CAT')), 201)).toEqual(['Cat', 'CAT']);
    });

    it('takes a literal + in a path as a plus, not a space', async () => {
      const id = await newImage();
      expect(await expectTags(send('POST', `${s.tags(id)}/c++`), 201)).toEqual(['c++']);
    });

    it('normalises tags in paths like stored ones: NFD is the same tag as NFC, spaces are trimmed', async () => {
      const id = await newImage(['café']);
      expect(await expectTags(send('POST', one(id, 'cafe\u0301')), 200)).toEqual(['café']);
      expect(await expectTags(send('POST', one(id, ' café ')), 200)).toEqual(['café']);
      expect(await expectTags(send('DELETE', one(id, 'cafe\u0301')), 200)).toEqual([]);
    });

    it('PUT answers 400 naming the bad tag, and changes nothing', async () => {
      const id = await newImage(['kept']);
      const cases: [unknown, RegExp][] = [
        [{ tags: ['fine', 'x'.repeat(65)] }, /x{65}/],
        [{ tags: ['fine', '   '] }, /empty/i],
        [{ tags: ['bad\u0001tag'] }, /bad/],
        [{ tags: [...fifty(), 'one-too-many'] }, /50/],
        [{ tags: ['ok', 7] }, /tags/],
        [{}, /tags/],
        [{ tags: null }, /tags/],
      ];
      for (const [body, says] of cases) {
        const res = await send('PUT', s.tags(id), json(body, { method: 'PUT' }));
        expect(res.status, JSON.stringify(body)).toBe(400);
        const p = await problem(res);
        expect(p.errors?.map((e) => e.name.split('.')[0])).toContain('tags');
        expect([p.detail, ...(p.errors ?? []).map((e) => e.message)].join(' ')).toMatch(says);
      }
      expect(await current(id)).toEqual(['kept']);
    });

    it('PUT answers 400 to malformed JSON and 415 to other media types, and changes nothing', async () => {
      const id = await newImage(['kept']);
      const bad = await send('PUT', s.tags(id), {
        headers: { 'content-type': 'application/json' },
        body: '{"tags": ["a",',
      });
      expect(bad.status).toBe(400);
      expect((await problem(bad)).status).toBe(400);
      const text = await send('PUT', s.tags(id), { headers: { 'content-type': 'text/plain' }, body: 'a,b' });
      expect(text.status).toBe(415);
      const multipartBody = new FormData();
      multipartBody.append('tags', 'a');
      const multi = await send('PUT', s.tags(id), { body: multipartBody });
      expect(multi.status).toBe(415);
      expect(await current(id)).toEqual(['kept']);
    });

    it('POST answers 400 for a 51st tag and leaves the 50; re-adding one of them is still 200', async () => {
      const id = await newImage(fifty());
      const res = await send('POST', one(id, 'one-too-many'));
      expect(res.status).toBe(400);
      expect((await problem(res)).errors?.map((e) => e.name)).toContain('tag');
      expect(await current(id)).toEqual(fifty());
      expect(await expectTags(send('POST', one(id, 'tag-7')), 200)).toEqual(fifty());
    });

    it('POST and DELETE answer 400 naming `tag` for a tag no image could carry', async () => {
      const id = await newImage(['kept']);
      for (const tag of ['x'.repeat(65), '   ', 'a\u0007b']) {
        for (const method of ['POST', 'DELETE']) {
          const res = await send(method, one(id, tag));
          expect(res.status, `${method} ${JSON.stringify(tag)}`).toBe(400);
          const p = await problem(res);
          expect(p.errors?.map((e) => e.name)).toContain('tag');
          expect(p.errors?.find((e) => e.name === 'tag')?.in).toBe('path');
        }
      }
      expect(await current(id)).toEqual(['kept']);
    });
  });

  describe('GET /api/v1/tags', () => {
    it('lists the caller’s tags in use with image counts, by name', async () => {
      const counter = await newUser(target(), 'tag-counts');
      const up = async (tags: string[]) => (await upload(target(), counter, bytes, { tags })).id;
      const counts = async () => (await getJson<TagCounts>(target(), counter, '/api/v1/tags')).items;

      expect(await counts()).toEqual([]);
      // The main user carries the same names; their images never count here.
      await upload(target(), user, bytes, { tags: ['sun', 'moon', 'beach'] });
      expect(await counts()).toEqual([]);
      const one = await up(['sun', 'beach', '日本']);
      await up(['sun']);
      const three = await up(['beach', 'sun']);
      expect(await counts()).toEqual([
        { name: 'beach', count: 2 },
        { name: 'sun', count: 3 },
        { name: '日本', count: 1 },
      ]);

      // Tag edits move the counts; a tag left on no image disappears.
      const auth = { headers: bearer(counter) };
      expect(
        (await target().fetch(`/api/${one}/tags/${encodeURIComponent('日本')}`, { ...auth, method: 'DELETE' })).status,
      ).toBe(200);
      expect((await target().fetch(`/api/v1/images/${three}/tags/moon`, { ...auth, method: 'POST' })).status).toBe(201);
      expect((await target().fetch(`/api/v1/images/${one}/tags`, { ...auth, method: 'DELETE' })).status).toBe(200);
      expect(await counts()).toEqual([
        { name: 'beach', count: 1 },
        { name: 'moon', count: 1 },
        { name: 'sun', count: 2 },
      ]);

      // And the other way round: the main user's counts know nothing of this user's images.
      const mine = (await getJson<TagCounts>(target(), user, '/api/v1/tags')).items;
      expect(mine.find((t) => t.name === 'moon')).toEqual({ name: 'moon', count: 1 });
      expect(mine.find((t) => t.name === 'beach')).toEqual({ name: 'beach', count: 1 });
    });
  });
};

export default tagsScenario;
