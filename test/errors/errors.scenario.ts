import { describe, expect, it } from 'vitest';
import { bearer, form, json, newUser, problem, withCookie } from '../support/client';
import type { Scenario } from '../support/scenarios';

const FOREIGN = 'https://evil.example';

/** Allow header as a set of methods. */
const allowed = (res: Response) =>
  new Set(
    (res.headers.get('allow') ?? '')
      .split(',')
      .map((m) => m.trim())
      .filter(Boolean),
  );

const errors: Scenario = (target) => {
  describe('problem details', () => {
    it.each([
      ['GET', '/api/nothing-here'],
      ['GET', '/api/v1/user/nothing-here'],
      ['POST', '/api/v1/nothing'],
      ['GET', '/not-the-api'],
    ])('answers %s %s with a 404 problem', async (method, path) => {
      const res = await target().fetch(path, { method });
      expect(res.status).toBe(404);
      const body = await problem(res);
      expect(body).toMatchObject({ type: 'about:blank', title: 'Not Found', status: 404 });
      expect(body.detail).toContain(path);
    });

    it.each([
      ['GET', '/api/user/register', ['POST']],
      ['PUT', '/api/v1/user/login', ['POST']],
      ['PUT', '/api/v1/user', ['GET', 'HEAD', 'DELETE']],
      ['POST', '/api/user', ['GET', 'HEAD']],
      ['GET', '/api/v1/user/logout', ['POST']],
    ])('answers %s %s with 405 and an Allow header', async (method, path, expected) => {
      const res = await target().fetch(path, { method });
      expect(res.status).toBe(405);
      const allow = allowed(res);
      for (const m of expected) expect(allow.has(m), `Allow: ${res.headers.get('allow')}`).toBe(true);
      expect(allow.has(method)).toBe(false);
      const body = await problem(res);
      expect(body).toMatchObject({ title: 'Method Not Allowed', status: 405 });
    });

    it('carries the request id in the body and the X-Request-Id header', async () => {
      const res = await target().fetch('/api/nothing-here');
      const id = res.headers.get('x-request-id');
      expect(id).toBeTruthy();
      expect(((await problem(res)) as { request_id?: string }).request_id).toBe(id);
    });

    it('answers malformed JSON with a 400 problem, never an HTML page or a stack', async () => {
      const res = await target().fetch('/api/v1/user/register', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"email":',
      });
      expect(res.status).toBe(400);
      const text = await res.clone().text();
      expect(text).not.toMatch(/<html|at .*\.(ts|js):\d+|SyntaxError/i);
      expect((await problem(res)).title).toBe('Bad Request');
    });

    it('answers a wrong content type with a 415 problem', async () => {
      const res = await target().fetch('/api/v1/user/login', {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: 'email=a@example.com&password=long-enough',
      });
      expect(res.status).toBe(415);
      expect(await problem(res)).toMatchObject({ status: 415, title: 'Unsupported Media Type' });
    });

    it('names the field in errors[] for a validation failure', async () => {
      const res = await target().fetch('/api/v1/user/register', json({ email: 'nope', password: 'long-enough' }));
      expect(res.status).toBe(400);
      const body = await problem(res);
      expect(body.errors).toEqual([{ name: 'email', in: 'body', message: expect.any(String) }]);
      expect(body.detail).toContain('email');
    });
  });

  describe('cross-site request protection', () => {
    const stillLoggedIn = async (user: { cookie: string }) =>
      (await target().fetch('/api/v1/user', { headers: withCookie(user) })).status;

    it('refuses a cookie-authenticated form POST with a foreign Origin', async () => {
      const user = await newUser(target(), 'csrf-origin');
      const res = await target().fetch(
        '/api/user/logout',
        form([], { headers: withCookie(user, { origin: FOREIGN }) }),
      );
      expect(res.status).toBe(403);
      expect(await problem(res)).toMatchObject({ status: 403, title: 'Forbidden' });
      expect(res.headers.getSetCookie()).toEqual([]);
      expect(await stillLoggedIn(user)).toBe(200);
    });

    it('refuses a cookie-authenticated form POST marked Sec-Fetch-Site: cross-site', async () => {
      const user = await newUser(target(), 'csrf-sfs');
      const res = await target().fetch(
        '/api/v1/user/logout',
        form([], { headers: withCookie(user, { 'sec-fetch-site': 'cross-site' }) }),
      );
      expect(res.status).toBe(403);
      expect((await problem(res)).status).toBe(403);
      expect(await stillLoggedIn(user)).toBe(200);
    });

    it('refuses a body-less cookie-authenticated POST from a foreign or opaque origin', async () => {
      const user = await newUser(target(), 'csrf-bodyless');
      for (const origin of [FOREIGN, 'null']) {
        const res = await target().fetch('/api/v1/user/logout', {
          method: 'POST',
          headers: withCookie(user, { origin }),
        });
        expect(res.status, origin).toBe(403);
        expect((await problem(res)).status).toBe(403);
      }
      expect(await stillLoggedIn(user)).toBe(200);
    });

    it('lets a cookie-authenticated form POST with neither Origin nor Sec-Fetch-Site through (scripts)', async () => {
      const user = await newUser(target(), 'csrf-script');
      const res = await target().fetch('/api/user/logout', form([], { headers: withCookie(user) }));
      expect(res.status).toBe(200);
      expect(await stillLoggedIn(user)).toBe(401);
    });

    it('lets a same-origin browser request through', async () => {
      const user = await newUser(target(), 'csrf-same');
      const res = await target().fetch(
        '/api/v1/user/logout',
        form([], { headers: withCookie(user, { 'sec-fetch-site': 'same-origin' }) }),
      );
      expect(res.status).toBe(204);
      expect(await stillLoggedIn(user)).toBe(401);
    });

    it('never judges bearer requests, whatever their headers say', async () => {
      const user = await newUser(target(), 'csrf-bearer');
      const res = await target().fetch(
        '/api/v1/user/logout',
        form([], { headers: bearer(user, { origin: FOREIGN, 'sec-fetch-site': 'cross-site' }) }),
      );
      expect(res.status).toBe(204);
      expect((await target().fetch('/api/v1/user', { headers: bearer(user) })).status).toBe(401);
    });

    it('does not let a bogus bearer header smuggle a cross-site cookie request through', async () => {
      const user = await newUser(target(), 'csrf-smuggle');
      const res = await target().fetch(
        '/api/v1/user/logout',
        form([], { headers: withCookie(user, { authorization: 'Bearer not-a-token', origin: FOREIGN }) }),
      );
      expect(res.status).toBe(401);
      expect(await stillLoggedIn(user)).toBe(200);
    });

    it('lets cross-site safe requests through (following a link), without CORS headers', async () => {
      const user = await newUser(target(), 'csrf-get');
      const res = await target().fetch('/api/v1/user', {
        headers: withCookie(user, { origin: FOREIGN, 'sec-fetch-site': 'cross-site' }),
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
    });
  });

  describe('CORS', () => {
    it('gives a preflight from an origin that is not allowed no Access-Control-Allow-Origin', async () => {
      const res = await target().fetch('/api/v1/user/login', {
        method: 'OPTIONS',
        headers: {
          origin: FOREIGN,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type',
        },
      });
      expect(res.status).toBeLessThan(300);
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
    });

    it('gives a simple request from an origin that is not allowed no Access-Control-Allow-Origin', async () => {
      const res = await target().fetch(
        '/api/v1/user/login',
        json(
          { email: 'a@example.com', password: 'whatever-pw' },
          {
            headers: { origin: FOREIGN },
          },
        ),
      );
      // Refused by the cross-site policy (a foreign page may not log anyone in), with no CORS header.
      expect(res.status).toBe(403);
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
    });
  });
};

export default errors;
