import { eq } from 'drizzle-orm';
import { SignJWT } from 'jose';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { GivenDeps } from '../../../src/app';
import { PBKDF2_ITERATIONS } from '../../../src/auth/password';
import type { Db } from '../../../src/db/client';
import { users } from '../../../src/db/schema';
import { appHarness, randomSecret } from '../../support/workers/app-harness';

const START = Date.parse('2026-03-01T12:00:00Z');

/** The shared app harness at a fixed start time, with `advance` in seconds and a way to sign up. */
function harness(
  vars: Record<string, string | undefined> = {},
  override: (deps: GivenDeps) => Partial<GivenDeps> = () => ({}),
) {
  const h = appHarness(override, { vars, start: START });
  const request = h.target.fetch;
  return {
    app: h.app,
    deps: h.base,
    logs: h.logs,
    request,
    advance: (seconds: number) => h.advance(seconds * 1000),
    /** Registers and logs in through HTTP; returns the bearer token, cookie pair and user id. */
    async user(label = 'internals') {
      const email = `${label}-${crypto.randomUUID()}@example.com`;
      const password = `pw-${crypto.randomUUID()}`;
      const reg = await request('/api/v1/user/register', jsonBody({ email, password }));
      expect(reg.status).toBe(201);
      const { id } = (await reg.json()) as { id: number };
      const login = await request('/api/v1/user/login', jsonBody({ email, password }));
      expect(login.status).toBe(200);
      const { token } = (await login.json()) as { token: string };
      const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
      return { id, email, password, token, cookie, setCookie: login.headers.get('set-cookie') ?? '' };
    },
  };
}

const jsonBody = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

const auth = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

async function problemOf(res: Response) {
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  return (await res.json()) as { status: number; title: string; detail?: string; request_id?: string };
}

afterEach(() => {
  vi.restoreAllMocks();
});

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

describe('cross-origin', () => {
  const ALLOWED = 'https://app.example.com';

  it('gives an allowed origin Access-Control-Allow-Origin with credentials, and no one else', async () => {
    const h = harness({ CORS_ORIGINS: `${ALLOWED}/, https://other.example.com` });
    const preflight = await h.request('/api/v1/user/login', {
      method: 'OPTIONS',
      headers: {
        origin: ALLOWED,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(preflight.headers.get('access-control-allow-credentials')).toBe('true');
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');
    expect(preflight.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('content-type');

    const u = await h.user('cors');
    const get = await h.request('/api/v1/user', { headers: { origin: ALLOWED, cookie: u.cookie } });
    expect(get.status).toBe(200);
    expect(get.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(get.headers.get('access-control-allow-credentials')).toBe('true');
    expect(get.headers.get('vary')).toMatch(/origin/i);

    const foreign = await h.request('/api/v1/user', { headers: { origin: 'https://evil.example', cookie: u.cookie } });
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('matches an allowed origin configured with upper case and a default port', async () => {
    const h = harness({ CORS_ORIGINS: 'HTTPS://App.Example.com:443' });
    const res = await h.request('/api/v1/user', { headers: { origin: ALLOWED } });
    expect(res.headers.get('access-control-allow-origin')).toBe(ALLOWED);
  });

  it('lets an allowed origin send cookie-authenticated form posts, and refuses others', async () => {
    const h = harness({ CORS_ORIGINS: ALLOWED });
    const u = await h.user('cors-form');
    const form = (origin: string) => ({
      method: 'POST',
      headers: {
        origin,
        'sec-fetch-site': 'cross-site',
        cookie: u.cookie,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: '',
    });
    expect((await h.request('/api/v1/user/logout', form('https://evil.example'))).status).toBe(403);
    expect((await h.request('/api/v1/user/logout', form(ALLOWED))).status).toBe(204);
  });

  it('lets a same-origin Origin through', async () => {
    const h = harness();
    const u = await h.user('same-origin');
    const res = await h.request('https://api.example.com/api/v1/user/logout', {
      method: 'POST',
      headers: {
        origin: 'https://api.example.com',
        cookie: u.cookie,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: '',
    });
    expect(res.status).toBe(204);
    // The same origin on another scheme is another origin.
    const v = await h.user('same-origin-2');
    const other = await h.request('https://api.example.com/api/v1/user/logout', {
      method: 'POST',
      headers: { origin: 'http://api.example.com', cookie: v.cookie },
    });
    expect(other.status).toBe(403);
  });
});

describe('password storage', () => {
  const b64 = (s: string) => Uint8Array.from(atob(s), (ch) => ch.charCodeAt(0));

  it('pins PBKDF2 at 100,000 iterations: production Workers refuse more', () => {
    expect(PBKDF2_ITERATIONS).toBe(100_000);
  });

  it('stores pbkdf2-sha256-opaque$100000$<16-byte salt>$<hash>, which really is PBKDF2-SHA256 of the password', async () => {
    const h = harness();
    const u = await h.user('hash');
    const [row] = await h.deps.db.select().from(users).where(eq(users.id, u.id));
    const stored = row?.passwordHash ?? '';
    expect(stored).not.toContain(u.password);
    const match = /^pbkdf2-sha256-opaque\$100000\$([A-Za-z0-9+/]+=*)\$([A-Za-z0-9+/]+=*)$/.exec(stored);
    expect(match, stored).not.toBeNull();
    const salt = b64(match?.[1] ?? '');
    const hash = b64(match?.[2] ?? '');
    expect(salt.byteLength).toBe(16);
    expect(hash.byteLength).toBe(32);

    // Recompute independently: proves the parameters in the string are the ones used.
    const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(u.password), 'PBKDF2', false, [
      'deriveBits',
    ]);
    const expected = new Uint8Array(
      await crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations: 100_000 }, key, 256),
    );
    expect([...hash]).toEqual([...expected]);
  });

  it('salts each hash: the same password stored twice gives different strings', async () => {
    const h = harness();
    const password = 'the same password';
    const ids: number[] = [];
    for (let i = 0; i < 2; i++) {
      const res = await h.request(
        '/api/v1/user/register',
        jsonBody({ email: `salt-${crypto.randomUUID()}@example.com`, password }),
      );
      ids.push(((await res.json()) as { id: number }).id);
    }
    const rows = await Promise.all(ids.map((id) => h.deps.db.select().from(users).where(eq(users.id, id))));
    const [a, b] = rows.map((r) => r[0]?.passwordHash);
    expect(a).toBeTruthy();
    expect(a).not.toBe(b);
    expect(a?.split('$')[2]).not.toBe(b?.split('$')[2]);
  });

  it('costs one full derivation for an unknown email, the same as for a wrong password', async () => {
    const h = harness();
    const u = await h.user('cost');
    const attempt = (email: string) =>
      h.request('/api/v1/user/login', jsonBody({ email, password: 'wrong password!' }));
    const derive = vi.spyOn(crypto.subtle, 'deriveBits');
    const iterationsOf = () => derive.mock.calls.map(([alg]) => (alg as { iterations?: number }).iterations);

    expect((await attempt(u.email)).status).toBe(401);
    const wrong = iterationsOf();
    derive.mockClear();
    expect((await attempt(`nobody-${crypto.randomUUID()}@example.com`)).status).toBe(401);
    const unknown = iterationsOf();

    expect(wrong).toEqual([100_000]);
    expect(unknown).toEqual(wrong);
  });

  it('never logs in a user whose stored hash is unreadable, whatever the password', async () => {
    const h = harness();
    const u = await h.user('corrupt');
    for (const broken of [
      'not a hash',
      `pbkdf2-sha256$200000$${btoa('0123456789abcdef')}$${btoa('x'.repeat(32))}`,
      `bcrypt$10$${btoa('0123456789abcdef')}$${btoa('x'.repeat(32))}`,
    ]) {
      await h.deps.db.update(users).set({ passwordHash: broken }).where(eq(users.id, u.id));
      // The decoy password is what the verifier falls back to: it must not open the account.
      for (const password of [u.password, 'decoy password never matches']) {
        const res = await h.request('/api/v1/user/login', jsonBody({ email: u.email, password }));
        expect(res.status, `${broken} / ${password}`).toBe(401);
      }
    }
  });

  it("moves a hash made with fewer iterations to today's parameters at the next login", async () => {
    const h = harness();
    const u = await h.user('rehash');
    const salt = crypto.getRandomValues(new Uint8Array(16));
    const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(u.password), 'PBKDF2', false, [
      'deriveBits',
    ]);
    const bits = await crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations: 1000 }, key, 256);
    const b64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));
    const old = `pbkdf2-sha256$1000$${b64(salt)}$${b64(new Uint8Array(bits))}`;
    await h.deps.db.update(users).set({ passwordHash: old }).where(eq(users.id, u.id));

    const res = await h.request('/api/v1/user/login', jsonBody({ email: u.email, password: u.password }));
    expect(res.status).toBe(200);
    const [row] = await h.deps.db.select().from(users).where(eq(users.id, u.id));
    expect(row?.passwordHash).toMatch(new RegExp(`^pbkdf2-sha256-opaque\\$${PBKDF2_ITERATIONS}\\$`));
    expect(row?.passwordHash).not.toBe(old);
    // And the new hash still opens the account.
    expect((await h.request('/api/v1/user/login', jsonBody({ email: u.email, password: u.password }))).status).toBe(
      200,
    );
  });
});

describe('unexpected exceptions', () => {
  /** The real database, except that every select throws with a message that must not leak. */
  const explodingSelect = (deps: GivenDeps): Partial<GivenDeps> => ({
    db: new Proxy(deps.db, {
      get(target, prop, receiver) {
        if (prop === 'select') {
          return () => {
            throw new Error('SQLITE_BUSY: secret internal detail /var/db/users.sqlite');
          };
        }
        return Reflect.get(target, prop, receiver);
      },
    }) as Db,
  });

  it('answers a generic 500 problem with the request id, and logs the error with its stack', async () => {
    const h = harness({}, explodingSelect);
    const res = await h.request('/api/v1/user/login', jsonBody({ email: 'ada@example.com', password: 'whatever-pw' }));
    expect(res.status).toBe(500);
    const requestId = res.headers.get('x-request-id');
    expect(requestId).toBeTruthy();
    const text = await res.text();
    const body = JSON.parse(text) as Record<string, unknown>;
    expect(body).toMatchObject({
      type: 'about:blank',
      title: 'Internal Server Error',
      status: 500,
      request_id: requestId,
    });
    expect(body.detail).toContain(requestId);
    expect(text).not.toMatch(/SQLITE|secret internal|sqlite|Error:|\bat\s.+:\d+/);

    const logged = h.logs.filter((l) => l.level === 'error');
    expect(logged).toHaveLength(1);
    expect(logged[0]?.fields).toMatchObject({
      request_id: requestId,
      method: 'POST',
      path: '/api/v1/user/login',
      error: expect.stringContaining('secret internal detail'),
      stack: expect.any(String),
    });
  });

  it('does the same for an authenticated read', async () => {
    const good = harness({ AUTH_SECRET: 'k'.repeat(40) });
    const u = await good.user('explode');
    const h = harness({ AUTH_SECRET: 'k'.repeat(40) }, explodingSelect);
    const res = await h.request('/api/user', auth(u.token));
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(text).not.toContain('secret internal');
    expect(JSON.parse(text)).toMatchObject({ status: 500, request_id: expect.any(String) });
    expect(h.logs.some((l) => l.level === 'error' && JSON.stringify(l.fields).includes('secret internal'))).toBe(true);
  });
});
