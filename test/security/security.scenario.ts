import { describe, expect, it } from 'vitest';
import { bearer, json, newUser, problem, type TestUser, uniqueEmail, withCookie } from '../support/client';
import { png } from '../support/images';
import type { Scenario } from '../support/scenarios';
import { API_CSP, corsHeadersOf, PAGE_CSP, securityHeaderProblems } from '../support/security-headers';
import { multipart, upload, uploadRaw } from '../support/upload';

// The surface a browser or a stranger sees: the index at `/`, the security headers on every
// kind of response, CORS with an empty allowlist (the default), and the cross-site policy for
// cookie-authenticated unsafe requests beyond the form posts errors.scenario.ts covers.

const FOREIGN = 'https://evil.example';

const security: Scenario = (target) => {
  describe('the index at /', () => {
    it('answers anyone with a small JSON index whose links lead to the docs, the document and the API', async () => {
      const res = await target().fetch('/');
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      const index = (await res.json()) as { name: string; version: string; links: Record<string, string> };
      expect(index).toEqual({
        name: 'ImageAPI',
        version: expect.any(String),
        links: { docs: '/api/apidoc/swagger', openapi: '/api/openapi.json', api: '/api/v1' },
      });

      const docs = await target().fetch(index.links.docs ?? '');
      expect(docs.status).toBe(200);
      expect(docs.headers.get('content-type')).toMatch(/^text\/html/);
      await docs.arrayBuffer();
      const doc = (await (await target().fetch(index.links.openapi ?? '')).json()) as {
        info: { version: string };
        paths: Record<string, { get?: { security?: unknown[] } }>;
      };
      expect(index.version).toBe(doc.info.version);
      // Documented, and open to anyone.
      expect(doc.paths['/']?.get?.security).toEqual([]);
      // The API lives under the base path: its resources ask for credentials.
      const me = await target().fetch(`${index.links.api}/user`);
      expect(me.status).toBe(401);
      await problem(me);
    });

    it('answers HEAD / without a body, and other methods with 405', async () => {
      const head = await target().fetch('/', { method: 'HEAD' });
      expect(head.status).toBe(200);
      expect(await head.text()).toBe('');
      const post = await target().fetch('/', { method: 'POST' });
      expect(post.status).toBe(405);
      expect(post.headers.get('allow')).toContain('GET');
      await problem(post);
    });
  });

  describe('security headers', () => {
    it('are on a response of every kind: success, partial, not modified, client errors, pages, preflights', async () => {
      const samples: { label: string; status: number; problems: string[]; csp: string | null }[] = [];
      const take = async (label: string, res: Response) => {
        samples.push({
          label,
          status: res.status,
          problems: securityHeaderProblems(res),
          csp: res.headers.get('content-security-policy'),
        });
        await res.arrayBuffer();
        return res;
      };
      const f = (path: string, init?: RequestInit) => target().fetch(path, init);
      const credentials = { email: uniqueEmail('headers'), password: `pw-${crypto.randomUUID()}` };

      await take('register', await f('/api/v1/user/register', json(credentials)));
      const login = await f('/api/v1/user/login', json(credentials));
      const { token } = (await login.clone().json()) as { token: string };
      await take('login', login);
      const user: TestUser = { ...credentials, id: 0, token, cookie: `auth_token=${token}` };
      await take('current user', await f('/api/v1/user', { headers: bearer(user) }));
      const stored = await uploadRaw(target(), user, await png(4, 3));
      const image = (await stored.clone().json()) as { id: number };
      await take('upload', stored);
      const file = `/api/v1/images/${image.id}/file`;
      const whole = await f(file, { headers: bearer(user) });
      const etag = whole.headers.get('etag') ?? '';
      await take('image bytes', whole);
      await take('range', await f(file, { headers: bearer(user, { range: 'bytes=0-3' }) }));
      await take('not modified', await f(file, { headers: bearer(user, { 'if-none-match': etag }) }));
      await take('bad range', await f(file, { headers: bearer(user, { range: 'bytes=999999-' }) }));
      await take('head', await f(file, { method: 'HEAD', headers: bearer(user) }));
      await take(
        'malformed JSON',
        await f('/api/v1/user/register', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{',
        }),
      );
      await take('no credentials', await f('/api/v1/images'));
      await take(
        'cross-site',
        await f('/api/v1/user/logout', { method: 'POST', headers: withCookie(user, { origin: FOREIGN }) }),
      );
      await take('unknown path', await f('/api/nothing-here'));
      await take('unknown path outside /api', await f('/nothing-here'));
      await take('wrong method', await f('/api/v1/user/login', { method: 'PUT' }));
      await take(
        'wrong media type',
        await f('/api/v1/user/login', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' }),
      );
      await take('delete', await f(`/api/v1/images/${image.id}`, { method: 'DELETE', headers: bearer(user) }));
      await take(
        'preflight',
        await f('/api/v1/images', {
          method: 'OPTIONS',
          headers: { origin: FOREIGN, 'access-control-request-method': 'POST' },
        }),
      );
      await take('index', await f('/'));
      await take('document', await f('/api/openapi.json'));
      await take('docs page', await f('/api/apidoc/swagger'));
      await take('legacy docs page', await f('/apidoc/swagger'));
      await take('logout', await f('/api/v1/user/logout', { method: 'POST', headers: bearer(user) }));

      // Each sample is the kind it claims to be.
      expect(samples.map((s) => `${s.label} ${s.status}`)).toEqual([
        'register 201',
        'login 200',
        'current user 200',
        'upload 201',
        'image bytes 200',
        'range 206',
        'not modified 304',
        'bad range 416',
        'head 200',
        'malformed JSON 400',
        'no credentials 401',
        'cross-site 403',
        'unknown path 404',
        'unknown path outside /api 404',
        'wrong method 405',
        'wrong media type 415',
        'delete 204',
        'preflight 204',
        'index 200',
        'document 200',
        'docs page 200',
        'legacy docs page 200',
        'logout 204',
      ]);
      for (const s of samples) expect(s.problems, `${s.label} ${s.status}`).toEqual([]);
      const pages = samples.filter((s) => s.label.includes('docs page'));
      expect(pages.map((s) => s.csp)).toEqual([PAGE_CSP, PAGE_CSP]);
      expect(new Set(samples.filter((s) => !pages.includes(s)).map((s) => s.csp))).toEqual(new Set([API_CSP]));
    });

    it('are on the files the docs page loads, where the app serves them (Node, Bun)', async () => {
      const html = await (await target().fetch('/api/apidoc/swagger')).text();
      const files = [...html.matchAll(/(?:src|href)="(\/[^"]+)"/g)].map((m) => m[1] ?? '');
      expect(files.length).toBe(3);
      // On Workers the static-assets layer answers the Swagger UI files before the worker runs
      // (their headers come from `_headers`, checked by the browser test); the worker serves the
      // start-up script itself.
      const served = target().name === 'workers' ? files.filter((p) => p.endsWith('/imageapi-init.js')) : files;
      expect(served.length).toBeGreaterThan(0);
      for (const path of served) {
        const res = await target().fetch(path);
        expect(res.status, path).toBe(200);
        expect(securityHeaderProblems(res), path).toEqual([]);
        await res.arrayBuffer();
      }
    });
  });

  describe('CORS with no allowed origin (the default)', () => {
    it('grants a foreign origin nothing: no CORS header on its preflight', async () => {
      const res = await target().fetch('/api/v1/images', {
        method: 'OPTIONS',
        headers: {
          origin: FOREIGN,
          'access-control-request-method': 'PUT',
          'access-control-request-headers': 'authorization, content-type',
        },
      });
      expect(res.status).toBe(204);
      expect(corsHeadersOf(res)).toEqual([]);
      expect(res.headers.get('vary')).toMatch(/origin/i);
    });

    it('grants a foreign origin nothing on an actual request, credentials least of all', async () => {
      const user = await newUser(target(), 'cors-default');
      const res = await target().fetch('/api/v1/user', { headers: withCookie(user, { origin: FOREIGN }) });
      expect(res.status).toBe(200);
      expect(corsHeadersOf(res)).toEqual([]);
      await res.arrayBuffer();
    });

    it('sends no CORS header to a request without Origin (not a browser)', async () => {
      const res = await target().fetch('/api/openapi.json');
      expect(corsHeadersOf(res)).toEqual([]);
      await res.arrayBuffer();
    });
  });

  describe('cross-site policy, beyond form posts', () => {
    let owner: TestUser;
    const imageOf = async (label: string) => {
      owner = await newUser(target(), label);
      return upload(target(), owner, await png(2, 2), { tags: ['kept'] });
    };
    const tagsOf = async (id: number) =>
      (
        (await (await target().fetch(`/api/v1/images/${id}/tags`, { headers: bearer(owner) })).json()) as {
          tags: string[];
        }
      ).tags;
    const exists = async (id: number) => {
      const res = await target().fetch(`/api/v1/images/${id}`, { headers: bearer(owner) });
      await res.arrayBuffer();
      return res.status === 200;
    };

    it('refuses a cookie-authenticated JSON PUT from a foreign origin: 403, tags unchanged', async () => {
      const image = await imageOf('xs-json');
      const res = await target().fetch(
        `/api/v1/images/${image.id}/tags`,
        json({ tags: ['hijacked'] }, { method: 'PUT', headers: withCookie(owner, { origin: FOREIGN }) }),
      );
      expect(res.status).toBe(403);
      expect(await problem(res)).toMatchObject({ status: 403, title: 'Forbidden' });
      expect(await tagsOf(image.id)).toEqual(['kept']);
    });

    it.each([
      ['v1', (id: number) => `/api/v1/images/${id}`],
      ['legacy', (id: number) => `/api/image/${id}`],
    ])(
      'refuses a cookie-authenticated DELETE marked Sec-Fetch-Site: cross-site (%s): 403, image kept',
      async (_, path) => {
        const image = await imageOf('xs-delete');
        const res = await target().fetch(path(image.id), {
          method: 'DELETE',
          headers: withCookie(owner, { 'sec-fetch-site': 'cross-site' }),
        });
        expect(res.status).toBe(403);
        await problem(res);
        expect(await exists(image.id)).toBe(true);
      },
    );

    it('refuses a cookie-authenticated multipart upload from a foreign origin: 403, nothing stored', async () => {
      const user = await newUser(target(), 'xs-upload');
      const { body, contentType } = multipart([
        { name: 'image', value: await png(2, 2), filename: 'x.png', contentType: 'image/png' },
      ]);
      const res = await target().fetch('/api/v1/images', {
        method: 'POST',
        headers: withCookie(user, { 'content-type': contentType, origin: FOREIGN, 'sec-fetch-site': 'cross-site' }),
        body,
      });
      expect(res.status).toBe(403);
      await problem(res);
      const list = (await (await target().fetch('/api/v1/images', { headers: bearer(user) })).json()) as {
        items: unknown[];
      };
      expect(list.items).toEqual([]);
    });

    it('refuses Sec-Fetch-Site: same-site: a sibling subdomain is another origin', async () => {
      const image = await imageOf('xs-same-site');
      const res = await target().fetch(`/api/v1/images/${image.id}`, {
        method: 'DELETE',
        headers: withCookie(owner, { 'sec-fetch-site': 'same-site', origin: 'https://other.localhost' }),
      });
      expect(res.status).toBe(403);
      await problem(res);
      expect(await exists(image.id)).toBe(true);
    });

    it('lets header-less cookie-authenticated JSON PUT and DELETE through (scripts, existing clients)', async () => {
      const image = await imageOf('xs-script');
      const put = await target().fetch(
        `/api/v1/images/${image.id}/tags`,
        json({ tags: ['mine'] }, { method: 'PUT', headers: withCookie(owner) }),
      );
      expect(put.status).toBe(200);
      await put.arrayBuffer();
      expect(await tagsOf(image.id)).toEqual(['mine']);
      const del = await target().fetch(`/api/v1/images/${image.id}`, { method: 'DELETE', headers: withCookie(owner) });
      expect(del.status).toBe(204);
      expect(await exists(image.id)).toBe(false);
    });

    it('lets a same-origin page’s JSON PUT through', async () => {
      const image = await imageOf('xs-same-origin');
      const res = await target().fetch(
        `/api/v1/images/${image.id}/tags`,
        json({ tags: ['ok'] }, { method: 'PUT', headers: withCookie(owner, { 'sec-fetch-site': 'same-origin' }) }),
      );
      expect(res.status).toBe(200);
      await res.arrayBuffer();
      expect(await tagsOf(image.id)).toEqual(['ok']);
    });

    it('never judges bearer requests: a cross-site bearer DELETE goes through', async () => {
      const image = await imageOf('xs-bearer');
      const res = await target().fetch(`/api/v1/images/${image.id}`, {
        method: 'DELETE',
        headers: bearer(owner, { origin: FOREIGN, 'sec-fetch-site': 'cross-site' }),
      });
      expect(res.status).toBe(204);
      expect(await exists(image.id)).toBe(false);
    });
  });
};

export default security;
