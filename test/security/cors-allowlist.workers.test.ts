import { describe, expect, it } from 'vitest';
import { json, newUser, problem, withCookie } from '../support/client';
import { png } from '../support/images';
import { corsHeadersOf, securityHeaderProblems } from '../support/security-headers';
import { uploadRaw } from '../support/upload';
import { appHarness } from '../support/workers/app-harness';

// The CORS allowlist needs a configuration of its own (CORS_ORIGINS): the app over the real
// bindings, built per test. The default (no allowed origin) is in security.scenario.ts.

const ALLOWED = 'https://app.example.com';
const FOREIGN = 'https://evil.example';
const preflight = (origin: string, method = 'PUT') => ({
  method: 'OPTIONS',
  headers: {
    origin,
    'access-control-request-method': method,
    'access-control-request-headers': 'content-type, authorization',
  },
});

describe('CORS allowlist (CORS_ORIGINS)', () => {
  const h = appHarness(() => ({}), { vars: { CORS_ORIGINS: `${ALLOWED}, https://other.example.com` } });

  it('answers an allowed origin’s preflight with credentials, methods and headers', async () => {
    const res = await h.target.fetch('/api/v1/images/1/tags', preflight(ALLOWED));
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(res.headers.get('access-control-allow-credentials')).toBe('true');
    expect(res.headers.get('access-control-allow-methods')).toContain('PUT');
    expect(res.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization');
    expect(res.headers.get('access-control-max-age')).toBe('600');
    expect(res.headers.get('vary')).toMatch(/origin/i);
    expect(securityHeaderProblems(res)).toEqual([]);
  });

  it.each([
    FOREIGN,
    'http://app.example.com', // the allowed host on another scheme is another origin
    'https://app.example.com.evil.example',
    'null',
  ])('gives %s no CORS header at all on its preflight', async (origin) => {
    const res = await h.target.fetch('/api/v1/images/1/tags', preflight(origin));
    expect(res.status).toBe(204);
    expect(corsHeadersOf(res)).toEqual([]);
    expect(res.headers.get('vary')).toMatch(/origin/i);
  });

  it('lets an allowed origin read answers with credentials, errors included', async () => {
    const user = await newUser(h.target, 'cors-allowed');
    const ok = await h.target.fetch('/api/v1/user', { headers: withCookie(user, { origin: ALLOWED }) });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(ok.headers.get('access-control-allow-credentials')).toBe('true');
    expect(ok.headers.get('access-control-expose-headers')).toContain('X-Request-Id');
    for (const [path, status] of [
      ['/api/v1/images', 401],
      ['/api/v1/nothing', 404],
    ] as const) {
      const res = await h.target.fetch(path, { headers: { origin: ALLOWED } });
      expect(res.status, path).toBe(status);
      expect(res.headers.get('access-control-allow-origin'), path).toBe(ALLOWED);
      expect(res.headers.get('access-control-allow-credentials'), path).toBe('true');
      await problem(res);
    }
  });

  it('gives another origin, and a request without Origin, no CORS header on actual requests', async () => {
    const user = await newUser(h.target, 'cors-foreign');
    const foreign = await h.target.fetch('/api/v1/user', { headers: withCookie(user, { origin: FOREIGN }) });
    expect(foreign.status).toBe(200);
    expect(corsHeadersOf(foreign)).toEqual([]);
    const none = await h.target.fetch('/api/v1/user', { headers: withCookie(user) });
    expect(corsHeadersOf(none)).toEqual([]);
  });

  it('lets an allowed origin send cookie-authenticated JSON writes, and refuses the same from others', async () => {
    const user = await newUser(h.target, 'cors-write');
    const created = await uploadRaw(h.target, user, await png(2, 2));
    const { id } = (await created.json()) as { id: number };
    const put = (origin: string, tag: string) =>
      h.target.fetch(
        `/api/v1/images/${id}/tags`,
        json({ tags: [tag] }, { method: 'PUT', headers: withCookie(user, { origin, 'sec-fetch-site': 'cross-site' }) }),
      );
    const refused = await put(FOREIGN, 'evil');
    expect(refused.status).toBe(403);
    await problem(refused);
    const allowed = await put(ALLOWED, 'fine');
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(await allowed.json()).toEqual({ tags: ['fine'] });
  });
});
