import { eq } from 'drizzle-orm';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { users } from '../../../src/db/schema';
import { auth, harness, jsonBody, problemOf, START } from '../../support/workers/account-harness';
import { randomSecret } from '../../support/workers/app-harness';

describe('token expiry (controllable clock)', () => {
  it('accepts a token until its exp and refuses it from then on, by bearer and by cookie', async () => {
    const h = harness();
    const u = await h.user('expiry');
    h.advance(86_400 - 1);
    expect((await h.request('/api/v1/user', auth(u.token))).status).toBe(200);
    h.advance(1);
    const expired = await h.request('/api/v1/user', auth(u.token));
    expect(expired.status).toBe(401);
    expect((await problemOf(expired)).status).toBe(401);
    expect((await h.request('/api/user', { headers: { cookie: u.cookie } })).status).toBe(401);
    // Logging out with an expired token is refused too: it names no live session.
    expect((await h.request('/api/v1/user/logout', { method: 'POST', ...auth(u.token) })).status).toBe(401);
  });

  it('follows SESSION_TTL_SECONDS for the token, the cookie and the expiry it reports', async () => {
    const h = harness({ SESSION_TTL_SECONDS: '3600' });
    const u = await h.user('ttl');
    expect(u.setCookie).toMatch(/;\s*Max-Age=3600(;|$)/i);
    const login = await h.request('/api/user/login', jsonBody({ email: u.email, password: u.password }));
    const body = (await login.json()) as { expires_at: number; expires_in: number };
    expect(body).toMatchObject({ expires_at: START / 1000 + 3600, expires_in: 3600 });
    h.advance(3600);
    expect((await h.request('/api/v1/user', auth(u.token))).status).toBe(401);
  });
});

describe('AUTH_SECRET must be configured', () => {
  it.each([
    ['missing', undefined, /AUTH_SECRET is not set/],
    ['empty', '', /AUTH_SECRET is not set/],
    ['31 bytes', 'k'.repeat(31), /31 bytes; at least 32/],
  ])(
    'answers 500 on login and authenticated routes when it is %s, saying why only in the log',
    async (_l, secret, why) => {
      // Accounts made by a working server, then served by a misconfigured one over the same database.
      const good = harness();
      const u = await good.user('nosecret');
      const h = harness({ AUTH_SECRET: secret });

      const responses = [
        await h.request('/api/v1/user/login', jsonBody({ email: u.email, password: u.password })),
        await h.request('/api/user/login', jsonBody({ email: u.email, password: u.password })),
        await h.request('/api/v1/user', auth(u.token)),
        await h.request('/api/user', { headers: { cookie: u.cookie } }),
        await h.request('/api/v1/user'),
        await h.request('/api/v1/user/logout', { method: 'POST', ...auth(u.token) }),
      ];
      for (const res of responses) {
        expect(res.status).toBe(500);
        expect(res.headers.getSetCookie()).toEqual([]);
        const text = await res.text();
        expect(JSON.parse(text)).toMatchObject({ status: 500, title: 'Internal Server Error' });
        expect(text).not.toMatch(/AUTH_SECRET|bytes/);
        if (secret) expect(text).not.toContain(secret);
      }
      const errors = h.logs.filter((l) => l.level === 'error');
      expect(errors.length).toBeGreaterThanOrEqual(responses.length);
      for (const entry of errors) {
        expect(JSON.stringify(entry)).toMatch(why);
        if (secret) expect(JSON.stringify(entry)).not.toContain(secret);
      }
    },
  );

  it('works with a 32-byte secret, counted in UTF-8 bytes', async () => {
    const h = harness({ AUTH_SECRET: `${'€'.repeat(10)}xy` }); // 10 × 3 bytes + 2
    const u = await h.user('secret32');
    expect((await h.request('/api/v1/user', auth(u.token))).status).toBe(200);
    expect(h.logs.filter((l) => l.level === 'error')).toEqual([]);
  });

  it('refuses tokens signed under another secret', async () => {
    const a = harness();
    const u = await a.user('rotated');
    const b = harness();
    expect((await b.request('/api/v1/user', auth(u.token))).status).toBe(401);
  });
});

describe('token claims', () => {
  const secret = randomSecret();
  const iat = START / 1000;
  const exp = iat + 3600;
  /** Signed with the server's own secret and HS256: only the claims are wrong. */
  const sign = (claims: Record<string, unknown>) =>
    new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(new TextEncoder().encode(secret));

  it.each<[string, (id: number) => Record<string, unknown>]>([
    ['no token version', (id) => ({ sub: String(id), iat, exp })],
    ['a string token version', (id) => ({ sub: String(id), iat, exp, ver: '0' })],
    ['a stale token version', (id) => ({ sub: String(id), iat, exp, ver: 7 })],
    ['no expiry', (id) => ({ sub: String(id), iat, ver: 0 })],
    ['no issue time', (id) => ({ sub: String(id), exp, ver: 0 })],
    ['no subject', () => ({ iat, exp, ver: 0 })],
    ['a non-numeric subject', () => ({ sub: 'admin', iat, exp, ver: 0 })],
    ['a numeric (not string) subject', (id) => ({ sub: id, iat, exp, ver: 0 })],
    ['a subject that only parses to the id', (id) => ({ sub: `${id}.0`, iat, exp, ver: 0 })],
    ['a subject with spaces', (id) => ({ sub: ` ${id}`, iat, exp, ver: 0 })],
    ['an expiry in the past', (id) => ({ sub: String(id), iat: iat - 7200, exp: iat - 3600, ver: 0 })],
  ])('refuses a correctly signed token with %s', async (_label, claims) => {
    const h = harness({ AUTH_SECRET: secret });
    const u = await h.user('claims');
    // The control: well-formed claims under the same secret are accepted.
    expect((await h.request('/api/v1/user', auth(await sign({ sub: String(u.id), iat, exp, ver: 0 })))).status).toBe(
      200,
    );
    expect((await h.request('/api/v1/user', auth(await sign(claims(u.id))))).status).toBe(401);
  });
});

describe('deleted users', () => {
  it("refuses a deleted user's token and cookie", async () => {
    const h = harness();
    const u = await h.user('deleted');
    expect((await h.request('/api/v1/user', auth(u.token))).status).toBe(200);
    await h.deps.db.delete(users).where(eq(users.id, u.id));
    expect((await h.request('/api/v1/user', auth(u.token))).status).toBe(401);
    expect((await h.request('/api/user', { headers: { cookie: u.cookie } })).status).toBe(401);
    expect((await h.request('/api/user/logout', { method: 'POST', ...auth(u.token) })).status).toBe(401);
  });
});

describe('cookies', () => {
  const attrs = (setCookie: string) =>
    setCookie
      .split(';')
      .slice(1)
      .map((a) => a.trim().split('=')[0]?.toLowerCase());

  it.each([
    ['auto', 'http://localhost', false],
    ['auto', 'https://api.example.com', true],
    ['true', 'http://localhost', true],
    ['false', 'https://api.example.com', false],
  ])('SECURE_COOKIES=%s over %s → Secure: %s, on login and on logout', async (mode, origin, secure) => {
    const h = harness({ SECURE_COOKIES: mode });
    const u = await h.user('secure');
    const login = await h.request(`${origin}/api/v1/user/login`, jsonBody({ email: u.email, password: u.password }));
    expect(login.status).toBe(200);
    const set = login.headers.get('set-cookie') ?? '';
    expect(attrs(set).includes('secure')).toBe(secure);
    expect(attrs(set)).toEqual(expect.arrayContaining(['httponly', 'samesite', 'path', 'max-age']));
    const { token } = (await login.json()) as { token: string };
    const logout = await h.request(`${origin}/api/v1/user/logout`, { method: 'POST', ...auth(token) });
    expect(logout.status).toBe(204);
    const cleared = logout.headers.get('set-cookie') ?? '';
    expect(cleared).toMatch(/^auth_token=;/);
    expect(attrs(cleared).includes('secure')).toBe(secure);
  });
});
