import { beforeAll, describe, expect, it } from 'vitest';
import { bearer, json, newUser, problem, type TestUser, uniqueEmail, withCookie } from '../support/client';
import { bytesOf, getJson, legacyIds, v1Ids } from '../support/image-api';
import { png } from '../support/images';
import type { Scenario } from '../support/scenarios';
import { fromNewAddress } from '../support/target';
import { multipart, type UploadedV1, upload, uploadRaw } from '../support/upload';

/** Defects found by hostile input against a running server, each pinned here on every runtime. */
const inputEdgesScenario: Scenario = (target) => {
  let user: TestUser;
  let bytes: Uint8Array<ArrayBuffer>;

  beforeAll(async () => {
    user = await newUser(target(), 'edges');
    bytes = await png(3, 3);
  });

  const send = (path: string, init: RequestInit) => target().fetch(path, init);
  const expectProblem = async (res: Response, status: number) => {
    const body = await problem(res);
    expect(res.status, JSON.stringify(body)).toBe(status);
    expect(body.status).toBe(status);
    return body;
  };

  describe('credential routes refuse any body they cannot read with a 4xx problem, never a 500', () => {
    const ROUTES = ['/api/user/register', '/api/user/login', '/api/v1/user/register', '/api/v1/user/login'];
    const cases: [string, RequestInit, number][] = [
      ['no body and no Content-Type', { method: 'POST' }, 400],
      // (A string body would make fetch add text/plain; bytes add no Content-Type.)
      ['an empty body and no Content-Type', { method: 'POST', body: new Uint8Array(0) }, 400],
      [
        'a body without a Content-Type',
        { method: 'POST', body: new TextEncoder().encode('email=a@example.com&password=x') },
        415,
      ],
      ['text/plain', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{}' }, 415],
      [
        'two media types at once',
        { method: 'POST', headers: { 'content-type': 'application/json, text/plain' }, body: '{}' },
        415,
      ],
      ['an empty JSON body', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '' }, 400],
      [
        'a form declared Latin-1',
        {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded; charset=iso-8859-1' },
          body: 'email=a%E9@example.com&password=xxxxxxxxxx',
        },
        415,
      ],
      [
        'JSON declared UTF-16',
        { method: 'POST', headers: { 'content-type': 'application/json; charset=utf-16' }, body: '{}' },
        415,
      ],
    ];
    for (const path of ROUTES) {
      it.each(cases)(`${path}: %s`, async (_label, init, status) => {
        await expectProblem(await send(path, init), status);
      });
    }

    it('still accepts a form or JSON that says charset=utf-8', async () => {
      const email = uniqueEmail('utf8');
      const res = await send('/api/v1/user/register', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded; charset=UTF-8' },
        body: new URLSearchParams({ email, password: 'long enough password' }).toString(),
      });
      expect(res.status).toBe(201);
      const login = await send('/api/v1/user/login', {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset="utf-8"' },
        body: JSON.stringify({ email, password: 'long enough password' }),
      });
      expect(login.status).toBe(200);
    });
  });

  describe('unpaired surrogates are refused wherever text would be stored, and the server stays up', () => {
    const LONE = ['\ud800', 'a\udc00b', 'x\ud83d'];

    it.each(LONE)('upload with a tag %j → 400 naming tags', async (tag) => {
      const res = await uploadRaw(target(), user, bytes, { tags: ['ok', tag] });
      const body = await expectProblem(res, 400);
      expect(body.errors?.map((e) => e.name)).toContain('tags');
    });

    it.each(LONE)('replacing tags with %j → 400, on both surfaces', async (tag) => {
      const { id } = await upload(target(), user, bytes, { tags: ['kept'] });
      for (const path of [`/api/v1/images/${id}/tags`, `/api/${id}/tags`]) {
        await expectProblem(await send(path, json({ tags: [tag] }, { method: 'PUT', headers: bearer(user) })), 400);
      }
      expect(await getJson(target(), user, `/api/v1/images/${id}/tags`)).toEqual({ tags: ['kept'] });
    });

    it.each(LONE)('register and login with %j in the email or password → 400', async (bad) => {
      for (const path of ['/api/v1/user/register', '/api/user/register', '/api/v1/user/login', '/api/user/login']) {
        const emailCase = await send(path, json({ email: `a${bad}@example.com`, password: 'long enough password' }));
        expect((await expectProblem(emailCase, 400)).errors?.map((e) => e.name)).toContain('email');
        const passwordCase = await send(path, json({ email: uniqueEmail('lone'), password: `long enough ${bad}` }));
        expect((await expectProblem(passwordCase, 400)).errors?.map((e) => e.name)).toContain('password');
      }
    });

    it('after all of that, every read of the user still answers', async () => {
      for (const path of ['/api/v1/images', '/api/images', '/api/v1/tags', '/api/v1/user']) {
        const res = await send(path, { headers: bearer(user) });
        expect(res.status, path).toBe(200);
        await res.arrayBuffer();
      }
    });
  });

  describe('tags that are path segments', () => {
    it.each(['.', '..', ' .. '])('%j is refused on upload and on replace', async (tag) => {
      const res = await uploadRaw(target(), user, bytes, { tags: [tag] });
      await expectProblem(res, 400);
      const { id } = await upload(target(), user, bytes);
      await expectProblem(
        await send(
          `/api/v1/images/${id}/tags`,
          json({ tags: ['fine', tag] }, { method: 'PUT', headers: bearer(user) }),
        ),
        400,
      );
    });

    it('tags merely containing dots are fine', async () => {
      const { tags } = await upload(target(), user, bytes, { tags: ['...', '.hidden', 'v1.2'] });
      expect(tags).toEqual(['...', '.hidden', 'v1.2']);
    });
  });

  describe('date bounds in whole seconds include that whole second', () => {
    it('end_date equal to an image’s own created_at includes it, on v1 and legacy', async () => {
      const own = await newUser(target(), 'seconds');
      const image = await upload(target(), own, bytes);
      const at = image.created_at_unix;
      expect(await v1Ids(target(), own, `end_date=${at}`)).toEqual([image.id]);
      expect(await v1Ids(target(), own, `start_date=${at}&end_date=${at}`)).toEqual([image.id]);
      expect(await legacyIds(target(), own, `start_date=${at}&end_date=${at}`)).toEqual([image.id]);
      // The ISO form of that second, without a fraction, names the whole second too.
      const iso = new Date(at * 1000).toISOString().replace('.000Z', 'Z');
      expect(
        await v1Ids(target(), own, `start_date=${encodeURIComponent(iso)}&end_date=${encodeURIComponent(iso)}`),
      ).toEqual([image.id]);
      expect(await v1Ids(target(), own, `end_date=${at - 1}`)).toEqual([]);
    });
  });

  describe('passwords are compared after Unicode normalisation (RFC 8265 OpaqueString)', () => {
    it('an account registered with a composed é logs in with a decomposed one, and back', async () => {
      const nfc = 'mot de passe d\u00e9j\u00e0 vu';
      const nfd = nfc.normalize('NFD');
      for (const [registered, typed] of [
        [nfc, nfd],
        [nfd, nfc],
      ] as const) {
        const email = uniqueEmail('nfc');
        expect((await send('/api/v1/user/register', json({ email, password: registered }))).status).toBe(201);
        expect((await send('/api/v1/user/login', json({ email, password: typed }))).status).toBe(200);
        expect((await send('/api/user/login', json({ email, password: registered }))).status).toBe(200);
        const wrong = await fromNewAddress(target()).fetch(
          '/api/v1/user/login',
          json({ email, password: 'mot de passe deja vu' }),
        );
        await expectProblem(wrong, 401);
      }
    });
  });

  describe('logout clears only the cookie it revoked', () => {
    it('a bearer logout leaves another account’s cookie alone and that session valid', async () => {
      const browser = await newUser(target(), 'browser');
      const script = await newUser(target(), 'script');
      const res = await send('/api/v1/user/logout', {
        method: 'POST',
        headers: withCookie(browser, bearer(script)),
      });
      expect(res.status).toBe(204);
      expect(res.headers.get('set-cookie') ?? '').not.toMatch(/auth_token=/);
      const me = await send('/api/v1/user', { headers: withCookie(browser) });
      expect(me.status).toBe(200);
      expect(((await me.json()) as { id: number }).id).toBe(browser.id);
      await expectProblem(await send('/api/v1/user', { headers: bearer(script) }), 401);
    });

    it('a bearer logout with the same account’s cookie clears that cookie (it is revoked too)', async () => {
      const both = await newUser(target(), 'both');
      const res = await send('/api/user/logout', { method: 'POST', headers: withCookie(both, bearer(both)) });
      expect(res.status).toBe(200);
      expect(res.headers.get('set-cookie') ?? '').toMatch(/auth_token=;/);
    });

    it('a cookie logout clears the cookie', async () => {
      const browser = await newUser(target(), 'cookie-out');
      const res = await send('/api/v1/user/logout', { method: 'POST', headers: withCookie(browser) });
      expect(res.status).toBe(204);
      expect(res.headers.get('set-cookie') ?? '').toMatch(/auth_token=;/);
    });
  });

  describe('file names', () => {
    const nameOf = async (filename: string) => {
      const { body, contentType } = multipart([{ name: 'image', value: bytes, filename, contentType: 'image/png' }]);
      const res = await send('/api/v1/images', {
        method: 'POST',
        headers: bearer(user, { 'content-type': contentType }),
        body,
      });
      expect(res.status).toBe(201);
      return ((await res.json()) as UploadedV1).name;
    };

    it('a long name is cut on code points and keeps its extension', async () => {
      const long = `${'a'.repeat(250)}${'😀'.repeat(10)}.png`;
      const name = await nameOf(long);
      expect([...name].length).toBeLessThanOrEqual(255);
      expect(name.endsWith('.png')).toBe(true);
      expect(name.isWellFormed()).toBe(true);
      expect(name.startsWith('a'.repeat(250))).toBe(true);
    });

    it('a name cut exactly inside an astral character never splits it', async () => {
      const long = `${'b'.repeat(253)}${'😀'.repeat(5)}`;
      const name = await nameOf(long);
      expect(name.isWellFormed()).toBe(true);
      expect([...name].length).toBe(255);
    });
  });

  describe('unverified images and variants', () => {
    it('a variant of an unverified legacy upload is a 422; the original stays a download', async () => {
      const fake = new TextEncoder().encode('some-fake-bytes');
      const { body, contentType } = multipart([
        { name: 'image', value: fake, filename: 'f.png', contentType: 'image/png' },
      ]);
      const res = await send('/api/images', {
        method: 'POST',
        headers: bearer(user, { 'content-type': contentType }),
        body,
      });
      expect(res.status).toBe(201);
      const { img_id } = (await res.json()) as { img_id: number };
      await expectProblem(await send(`/api/v1/images/${img_id}/file?width=16`, { headers: bearer(user) }), 422);
      const original = await send(`/api/v1/images/${img_id}/file`, { headers: bearer(user) });
      expect(original.status).toBe(200);
      expect(original.headers.get('content-disposition')).toMatch(/^attachment/);
      expect(await bytesOf(original)).toEqual(fake);
    });
  });

  describe('bytes fetched while the image is deleted', () => {
    it('every racing GET answers the whole image or a clean 404, never a broken 200', async () => {
      const own = await newUser(target(), 'race');
      const big = new Uint8Array(await png(120, 120));
      for (let round = 0; round < 2; round++) {
        const image = await upload(target(), own, big);
        const gets = Array.from({ length: 8 }, async () => {
          const res = await send(`/api/v1/images/${image.id}/file`, { headers: bearer(own) });
          if (res.status === 404) {
            await problem(res);
            return 'gone';
          }
          expect(res.status).toBe(200);
          expect(await bytesOf(res)).toEqual(big);
          return 'whole';
        });
        const del = send(`/api/v1/images/${image.id}`, { method: 'DELETE', headers: bearer(own) });
        const outcomes = await Promise.all([...gets, del.then((r) => r.status)]);
        expect(outcomes.at(-1)).toBe(204);
        expect(new Set(outcomes.slice(0, -1)).size).toBeGreaterThan(0);
      }
    });
  });
};

export default inputEdgesScenario;
