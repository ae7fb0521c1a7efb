import { base64url, decodeJwt, decodeProtectedHeader, SignJWT, UnsecuredJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectChallenge } from '../support/auth-routes';
import {
  bearer,
  form,
  json,
  legacyCredentials,
  newUser,
  nowSeconds,
  problem,
  type TestUser,
  uniqueEmail,
  withCookie,
} from '../support/client';
import type { Scenario } from '../support/scenarios';
import type { Target } from '../support/target';

const DAY = 86_400;

/**
 * The session cookie's `Set-Cookie` attributes by lower-cased name; the first pair is returned
 * as `name`/`value`. A login's device cookie is left out (login-throttle.scenario.ts).
 */
function parseSetCookie(res: Response): { name: string; value: string; attrs: Map<string, string> } {
  const all = res.headers.getSetCookie().filter((c) => !c.startsWith('login_device='));
  expect(all).toHaveLength(1);
  const [pair = '', ...rest] = (all[0] ?? '').split(';').map((s) => s.trim());
  const eq = pair.indexOf('=');
  const attrs = new Map<string, string>();
  for (const part of rest) {
    const i = part.indexOf('=');
    attrs.set((i < 0 ? part : part.slice(0, i)).toLowerCase(), i < 0 ? '' : part.slice(i + 1));
  }
  return { name: pair.slice(0, eq), value: pair.slice(eq + 1), attrs };
}

/** Flips one bit in the first byte of the signature (the last base64url character may only carry padding bits). */
function tamperSignature(token: string): string {
  const [header, payload, signature = ''] = token.split('.');
  const bytes = base64url.decode(signature);
  bytes[0] = (bytes[0] ?? 0) ^ 0x01;
  return `${header}.${payload}.${base64url.encode(bytes)}`;
}

/** The same token with its payload rewritten and the original signature kept. */
function rewritePayload(token: string, change: (claims: Record<string, unknown>) => void): string {
  const [header, , signature] = token.split('.');
  const claims = decodeJwt(token) as Record<string, unknown>;
  change(claims);
  return `${header}.${base64url.encode(JSON.stringify(claims))}.${signature}`;
}

async function me(target: Target, headers: Record<string, string>, path = '/api/v1/user') {
  return target.fetch(path, { headers });
}

const accounts: Scenario = (target) => {
  describe('register', () => {
    it('registers, logs in and reads the current user with a bearer token', async () => {
      const user = await newUser(target());
      const res = await target().fetch('/api/v1/user', { headers: bearer(user) });
      expect(res.status).toBe(200);
      const body = (await res.json()) as Record<string, unknown>;
      expect(body).toEqual({ id: user.id, email: user.email, created_at: expect.any(String) });
      expect(Number.isNaN(Date.parse(body.created_at as string))).toBe(false);
    });

    it('answers 201 with the legacy shape (created_at in unix seconds) and never the password', async () => {
      const email = uniqueEmail('legacy');
      const before = nowSeconds();
      const res = await target().fetch('/api/user/register', json({ email, password: 'password-legacy' }));
      expect(res.status).toBe(201);
      const body = (await res.json()) as Record<string, unknown>;
      expect(Object.keys(body).sort()).toEqual(['created_at', 'email', 'id']);
      expect(body.email).toBe(email);
      expect(Number.isInteger(body.id) && (body.id as number) > 0).toBe(true);
      expect(Number.isInteger(body.created_at)).toBe(true);
      expect(body.created_at as number).toBeGreaterThanOrEqual(before - 5);
      expect(body.created_at as number).toBeLessThanOrEqual(nowSeconds() + 5);
    });

    it('answers 201 with the v1 shape (created_at in ISO 8601)', async () => {
      const email = uniqueEmail('v1');
      const res = await target().fetch('/api/v1/user/register', json({ email, password: 'password-v1' }));
      expect(res.status).toBe(201);
      const body = (await res.json()) as Record<string, unknown>;
      expect(Object.keys(body).sort()).toEqual(['created_at', 'email', 'id']);
      expect(body.created_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);
      expect(Math.abs(Date.parse(body.created_at as string) / 1000 - nowSeconds())).toBeLessThan(60);
    });

    it('stores the email lower-cased and lets the user log in with any case', async () => {
      const email = uniqueEmail('MixedCase');
      const reg = await target().fetch('/api/v1/user/register', json({ email, password: 'password-case' }));
      expect(reg.status).toBe(201);
      expect(((await reg.json()) as { email: string }).email).toBe(email.toLowerCase());
      const login = await target().fetch(
        '/api/v1/user/login',
        json({ email: email.toUpperCase(), password: 'password-case' }),
      );
      expect(login.status).toBe(200);
    });

    it('refuses a second account for the same email in another case', async () => {
      const email = uniqueEmail('dup');
      const first = await target().fetch('/api/user/register', json({ email, password: 'password-1' }));
      expect(first.status).toBe(201);
      const again = await target().fetch(
        '/api/user/register',
        json({ email: email.toUpperCase(), password: 'password-2' }),
      );
      expect(again.status).toBe(409);
      expect((await problem(again)).status).toBe(409);
    });

    it('refuses a duplicate on the v1 path too, whatever the case and surrounding spaces', async () => {
      const email = uniqueEmail('dup-v1');
      expect((await target().fetch('/api/v1/user/register', json({ email, password: 'password-1' }))).status).toBe(201);
      for (const variant of [email, email.toUpperCase(), `  ${email.replace(/^d/, 'D')} `]) {
        const again = await target().fetch('/api/v1/user/register', json({ email: variant, password: 'password-2' }));
        expect(again.status).toBe(409);
        const body = await problem(again);
        expect(body).toMatchObject({ status: 409, title: 'Conflict' });
      }
      // The first password still works: the refused attempts changed nothing.
      expect((await target().fetch('/api/v1/user/login', json({ email, password: 'password-1' }))).status).toBe(200);
    });

    it('answers one of two simultaneous registrations for an email 201 and the other 409, never 500', async () => {
      const email = uniqueEmail('race');
      const statuses = await Promise.all(
        [email, email.toUpperCase()].map(async (e, i) => {
          const res = await target().fetch('/api/v1/user/register', json({ email: e, password: `password-${i}` }));
          return res.status;
        }),
      );
      expect(statuses.sort()).toEqual([201, 409]);
    });

    it.each([
      ['no at sign', 'not-an-email'],
      ['no domain', 'someone@'],
      ['no local part', '@example.com'],
      ['spaces inside', 'some one@example.com'],
      ['empty', ''],
      ['too long', `${'a'.repeat(250)}@example.com`],
    ])('refuses an invalid email (%s) with a problem naming the field', async (_label, email) => {
      const res = await target().fetch('/api/v1/user/register', json({ email, password: 'long-enough' }));
      expect(res.status).toBe(400);
      const body = await problem(res);
      expect(body.status).toBe(400);
      expect(body.errors?.map((e) => e.name)).toEqual(['email']);
    });

    it.each([
      ['7 characters', 7],
      ['1025 characters', 1025],
      ['empty', 0],
    ])('refuses a password of %s, naming the field', async (_label, length) => {
      const res = await target().fetch(
        '/api/user/register',
        json({ email: uniqueEmail('pw'), password: 'x'.repeat(length) }),
      );
      expect(res.status).toBe(400);
      const body = await problem(res);
      expect(body.errors?.map((e) => e.name)).toEqual(['password']);
    });

    it.each([8, 1024])('accepts a password of exactly %i characters and logs in with it', async (length) => {
      const email = uniqueEmail(`pw${length}`);
      const password = `${'p'.repeat(length - 1)}!`;
      const reg = await target().fetch('/api/user/register', json({ email, password }));
      expect(reg.status).toBe(201);
      expect((await target().fetch('/api/user/login', json({ email, password }))).status).toBe(200);
      expect((await target().fetch('/api/user/login', json({ email, password: password.slice(1) }))).status).toBe(401);
    });

    it('counts password length in characters, so a 1024-character non-ASCII password registers and logs in', async () => {
      const email = uniqueEmail('emoji');
      const password = '🔑'.repeat(1024); // 1024 characters, 2048 UTF-16 code units
      const reg = await target().fetch('/api/v1/user/register', json({ email, password }));
      expect(reg.status).toBe(201);
      const login = await target().fetch('/api/v1/user/login', json({ email, password }));
      expect(login.status).toBe(200);
      const tooLong = await target().fetch(
        '/api/v1/user/register',
        json({ email: uniqueEmail('emoji'), password: `${password}🔑` }),
      );
      expect(tooLong.status).toBe(400);
    });

    it.each([
      ['both fields missing', {}, ['email', 'password']],
      ['password missing', { email: 'ada@example.com' }, ['password']],
      ['email missing', { password: 'long-enough' }, ['email']],
      ['fields of the wrong type', { email: 42, password: true }, ['email', 'password']],
    ])('refuses a body with %s, naming every offending field', async (_label, body, names) => {
      const res = await target().fetch('/api/v1/user/register', json(body));
      expect(res.status).toBe(400);
      const p = await problem(res);
      expect([...new Set(p.errors?.map((e) => e.name))].sort()).toEqual(names);
      for (const e of p.errors ?? []) expect(e.in).toBe('body');
    });

    it.each(['null', '[]', '"ada@example.com"'])('refuses a JSON body that is not an object (%s)', async (raw) => {
      const res = await target().fetch('/api/v1/user/register', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: raw,
      });
      expect(res.status).toBe(400);
      expect((await problem(res)).status).toBe(400);
    });

    it('answers 400 to malformed JSON', async () => {
      for (const path of ['/api/user/register', '/api/v1/user/login']) {
        const res = await target().fetch(path, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{"email": "ada@example.com", "password": ',
        });
        expect(res.status).toBe(400);
        expect((await problem(res)).title).toBe('Bad Request');
      }
    });

    it('answers 415 to a body that is neither JSON nor a form', async () => {
      const cases: [string, string][] = [
        ['text/plain', 'email=ada@example.com&password=long-enough'],
        ['application/xml', '<user><email>ada@example.com</email></user>'],
        [
          'multipart/form-data; boundary=xyz',
          '--xyz\r\nContent-Disposition: form-data; name="email"\r\n\r\na@b.co\r\n--xyz--\r\n',
        ],
      ];
      for (const [type, body] of cases) {
        for (const path of ['/api/user/register', '/api/v1/user/login']) {
          const res = await target().fetch(path, { method: 'POST', headers: { 'content-type': type }, body });
          expect(res.status, `${type} to ${path}`).toBe(415);
          expect((await problem(res)).status).toBe(415);
        }
      }
      // A well-formed multipart body with valid fields is refused too, never half-read.
      const fields = new FormData();
      fields.set('email', uniqueEmail('multipart'));
      fields.set('password', 'long-enough-password');
      const multipart = await target().fetch('/api/user/register', { method: 'POST', body: fields });
      expect(multipart.status).toBe(415);
      expect((await problem(multipart)).status).toBe(415);
    });

    it('answers 400 naming the fields to an empty body, with or without a content type', async () => {
      const bare = await target().fetch('/api/v1/user/register', { method: 'POST' });
      expect(bare.status).toBe(400);
      expect((await problem(bare)).errors?.map((e) => e.name).sort()).toEqual(['email', 'password']);

      const emptyForm = await target().fetch('/api/v1/user/register', form([]));
      expect(emptyForm.status).toBe(400);
      expect((await problem(emptyForm)).errors?.map((e) => e.name).sort()).toEqual(['email', 'password']);

      const emptyJson = await target().fetch('/api/v1/user/register', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '',
      });
      expect(emptyJson.status).toBe(400);
      expect((await problem(emptyJson)).status).toBe(400);
    });

    it('answers 413 to a credentials body far larger than any credentials', async () => {
      const res = await target().fetch(
        '/api/v1/user/register',
        json({ email: uniqueEmail('big'), password: 'x'.repeat(100_000) }),
      );
      expect(res.status).toBe(413);
      expect((await problem(res)).status).toBe(413);
    });
  });

  describe('form bodies (what existing clients send)', () => {
    it('registers and logs in with application/x-www-form-urlencoded on the legacy paths', async () => {
      const email = uniqueEmail('form');
      const password = 'form password & more=yes';
      const reg = await legacyCredentials(target(), '/api/user/register', email, password);
      expect(reg.status).toBe(201);
      expect(((await reg.json()) as { email: string }).email).toBe(email);

      const login = await legacyCredentials(target(), '/api/user/login', email, password);
      expect(login.status).toBe(200);
      const { token } = (await login.json()) as { token: string };
      expect((await me(target(), { authorization: `Bearer ${token}` }, '/api/user')).status).toBe(200);
    });

    it('accepts form bodies on the v1 paths too, with a charset parameter', async () => {
      const email = uniqueEmail('form-v1');
      const headers = { 'content-type': 'application/x-www-form-urlencoded; charset=UTF-8' };
      const fields: [string, string][] = [
        ['email', email],
        ['password', 'pässwörd-ünicode'],
      ];
      expect((await target().fetch('/api/v1/user/register', form(fields, { headers }))).status).toBe(201);
      expect((await target().fetch('/api/v1/user/login', form(fields, { headers }))).status).toBe(200);
    });

    it('refuses a repeated credential field with a 400 naming it', async () => {
      const email = uniqueEmail('form-repeat');
      const res = await target().fetch(
        '/api/user/register',
        form([
          ['email', email],
          ['email', uniqueEmail('other')],
          ['password', 'long-enough'],
        ]),
      );
      expect(res.status).toBe(400);
      expect((await problem(res)).errors?.map((e) => e.name)).toEqual(['email']);
    });

    it('names the field when a form is invalid', async () => {
      const res = await target().fetch(
        '/api/user/register',
        form([
          ['email', uniqueEmail('form-bad')],
          ['password', 'short'],
        ]),
      );
      expect(res.status).toBe(400);
      expect((await problem(res)).errors?.map((e) => e.name)).toEqual(['password']);
    });
  });

  describe('login', () => {
    it('returns a bearer token and the legacy expiry in unix seconds', async () => {
      const email = uniqueEmail('login-legacy');
      await target().fetch('/api/user/register', json({ email, password: 'password-login' }));
      const before = nowSeconds();
      const res = await target().fetch('/api/user/login', json({ email, password: 'password-login' }));
      expect(res.status).toBe(200);
      const body = (await res.json()) as Record<string, unknown>;
      expect(body).toMatchObject({ token: expect.any(String), token_type: 'Bearer', expires_in: DAY });
      expect(Number.isInteger(body.expires_at)).toBe(true);
      expect(body.expires_at as number).toBeGreaterThanOrEqual(before + DAY - 5);
      expect(body.expires_at as number).toBeLessThanOrEqual(nowSeconds() + DAY + 5);

      // HS256 JWT with subject, issue time, expiry and token version.
      const token = body.token as string;
      expect(decodeProtectedHeader(token).alg).toBe('HS256');
      const claims = decodeJwt(token);
      expect(claims.exp).toBe(body.expires_at);
      expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(DAY);
      expect(typeof claims.sub).toBe('string');
      expect(typeof claims.ver).toBe('number');
      expect(JSON.stringify(claims)).not.toContain('password');
    });

    it('forbids caching of the response that carries the token', async () => {
      const user = await newUser(target(), 'no-store');
      for (const path of ['/api/user/login', '/api/v1/user/login']) {
        const res = await target().fetch(path, json({ email: user.email, password: user.password }));
        expect(res.status).toBe(200);
        expect(res.headers.get('cache-control')).toMatch(/no-store/);
      }
    });

    it('returns the v1 expiry in ISO 8601', async () => {
      const email = uniqueEmail('login-v1');
      const reg = await target().fetch('/api/v1/user/register', json({ email, password: 'password-login' }));
      const { id } = (await reg.json()) as { id: number };
      const res = await target().fetch('/api/v1/user/login', json({ email, password: 'password-login' }));
      expect(res.status).toBe(200);
      const body = (await res.json()) as Record<string, unknown>;
      expect(body.expires_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);
      const claims = decodeJwt(body.token as string);
      expect(Date.parse(body.expires_at as string) / 1000).toBe(claims.exp);
      expect(claims.sub).toBe(String(id));
    });

    it('sets the auth_token cookie HttpOnly, SameSite=Lax, Path=/, Max-Age=86400 and not Secure over http', async () => {
      const user = await newUser(target(), 'cookie');
      const res = await target().fetch('/api/user/login', json({ email: user.email, password: user.password }));
      expect(res.status).toBe(200);
      const { token } = (await res.json()) as { token: string };
      const cookie = parseSetCookie(res);
      expect(cookie.name).toBe('auth_token');
      expect(cookie.value).toBe(token);
      expect(cookie.attrs.has('httponly')).toBe(true);
      expect(cookie.attrs.get('samesite')?.toLowerCase()).toBe('lax');
      expect(cookie.attrs.get('path')).toBe('/');
      expect(cookie.attrs.get('max-age')).toBe(String(DAY));
      expect(cookie.attrs.has('secure')).toBe(false);
      expect(cookie.attrs.has('domain')).toBe(false);
    });

    it('marks the cookie Secure when a TLS-terminating proxy says the client used https', async () => {
      const user = await newUser(target(), 'proxy');
      const res = await target().fetch(
        '/api/v1/user/login',
        json({ email: user.email, password: user.password }, { headers: { 'x-forwarded-proto': 'https' } }),
      );
      expect(res.status).toBe(200);
      expect(parseSetCookie(res).attrs.has('secure')).toBe(true);
    });

    it('gives the same 401 for a wrong password and an unknown email', async () => {
      const user = await newUser(target(), 'wrong');
      const wrong = await target().fetch(
        '/api/v1/user/login',
        json({ email: user.email, password: 'not-the-password' }),
      );
      const unknown = await target().fetch(
        '/api/v1/user/login',
        json({ email: uniqueEmail('nobody'), password: 'not-the-password' }),
      );
      expect(wrong.status).toBe(401);
      expect(unknown.status).toBe(401);
      expect(wrong.headers.getSetCookie()).toEqual([]);
      expect(wrong.headers.get('www-authenticate')).toBe(unknown.headers.get('www-authenticate'));
      expect(wrong.headers.get('www-authenticate')).toMatch(/^Bearer\b/i);
      const a = await problem(wrong);
      const b = await problem(unknown);
      expect({ status: a.status, title: a.title, detail: a.detail, type: a.type }).toEqual({
        status: b.status,
        title: b.title,
        detail: b.detail,
        type: b.type,
      });
      expect(a.detail).toBeTruthy();
    });

    it('gives the same 401 on the legacy path and with form bodies', async () => {
      const user = await newUser(target(), 'wrong-legacy');
      const wrong = await target().fetch(
        '/api/user/login',
        form([
          ['email', user.email],
          ['password', 'not-the-password'],
        ]),
      );
      const unknown = await target().fetch(
        '/api/user/login',
        form([
          ['email', uniqueEmail('nobody')],
          ['password', 'not-the-password'],
        ]),
      );
      const a = await problem(wrong);
      const b = await problem(unknown);
      expect([wrong.status, unknown.status]).toEqual([401, 401]);
      expect([a.title, a.detail]).toEqual([b.title, b.detail]);
    });

    it('names missing login fields', async () => {
      const res = await target().fetch('/api/user/login', json({ email: 'ada@example.com' }));
      expect(res.status).toBe(400);
      expect((await problem(res)).errors?.map((e) => e.name)).toEqual(['password']);
    });
  });

  describe('authentication', () => {
    it('answers 401 problem without a token on both surfaces', async () => {
      for (const path of ['/api/user', '/api/v1/user']) {
        const res = await target().fetch(path);
        await expectChallenge(res);
      }
      await expectChallenge(await target().fetch('/api/user/logout', { method: 'POST' }));
      await expectChallenge(await target().fetch('/api/v1/user/logout', { method: 'POST' }));
    });

    it("still honours the cookie when the Authorization header carries another scheme (e.g. a proxy's Basic)", async () => {
      const user = await newUser(target(), 'basic-proxy');
      const res = await me(target(), withCookie(user, { authorization: 'Basic cHJveHk6cGFzcw==' }));
      expect(res.status).toBe(200);
      expect(((await res.json()) as { id: number }).id).toBe(user.id);
    });

    it('authenticates with the cookie alone on both surfaces', async () => {
      const user = await newUser(target(), 'cookie-auth');
      expect(user.cookie).toMatch(/^auth_token=./);
      const legacy = await me(target(), withCookie(user), '/api/user');
      expect(legacy.status).toBe(200);
      expect(await legacy.json()).toEqual({ id: user.id, email: user.email, created_at: expect.any(Number) });
      const v1 = await me(target(), { cookie: `theme=dark; ${user.cookie}; other=1` });
      expect(v1.status).toBe(200);
      expect(await v1.json()).toEqual({ id: user.id, email: user.email, created_at: expect.any(String) });
    });

    it('reports the same instant as unix seconds on legacy and ISO 8601 on v1', async () => {
      const user = await newUser(target(), 'shapes');
      const legacy = (await (await me(target(), bearer(user), '/api/user')).json()) as { created_at: number };
      const v1 = (await (await me(target(), bearer(user))).json()) as { created_at: string };
      expect(Number.isInteger(legacy.created_at)).toBe(true);
      expect(Math.floor(Date.parse(v1.created_at) / 1000)).toBe(legacy.created_at);
    });

    describe('refuses bad tokens with 401', () => {
      let user: TestUser;
      beforeAll(async () => {
        user = await newUser(target(), 'tokens');
      });
      const check = async (token: string) => {
        await expectChallenge(await me(target(), { authorization: `Bearer ${token}` }));
        await expectChallenge(await me(target(), { cookie: `auth_token=${token}` }, '/api/user'));
      };

      it('garbage', async () => {
        await check('garbage');
        await check('a.b.c');
        await check(`${user.token}x`);
      });

      it('a tampered signature', async () => {
        expect((await me(target(), bearer(user))).status).toBe(200);
        await check(tamperSignature(user.token));
      });

      it("a payload rewritten to another user's id or a later expiry", async () => {
        const other = await newUser(target(), 'victim');
        await check(rewritePayload(user.token, (c) => Object.assign(c, { sub: String(other.id) })));
        await check(rewritePayload(user.token, (c) => Object.assign(c, { exp: (c.exp as number) + 1000 * DAY })));
      });

      it('alg: none', async () => {
        const claims = decodeJwt(user.token);
        const unsecured = new UnsecuredJWT({ ver: claims.ver })
          .setSubject(String(user.id))
          .setIssuedAt()
          .setExpirationTime('1h')
          .encode();
        expect(decodeProtectedHeader(unsecured).alg).toBe('none');
        await check(unsecured);
        // The genuine payload and signature under a header that claims no algorithm.
        const [, payload, signature] = user.token.split('.');
        const noneHeader = base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT' }));
        await check(`${noneHeader}.${payload}.`);
        await check(`${noneHeader}.${payload}.${signature}`);
      });

      it('HS512 and HS256 signed with another key', async () => {
        const claims = decodeJwt(user.token);
        for (const alg of ['HS512', 'HS256']) {
          const key = crypto.getRandomValues(new Uint8Array(64));
          const forged = await new SignJWT({ ver: claims.ver })
            .setProtectedHeader({ alg, typ: 'JWT' })
            .setSubject(String(user.id))
            .setIssuedAt()
            .setExpirationTime('1h')
            .sign(key);
          await check(forged);
        }
      });

      it('an Authorization header that is not a bearer token', async () => {
        await expectChallenge(await me(target(), { authorization: `Basic ${btoa(`${user.email}:${user.password}`)}` }));
        await expectChallenge(await me(target(), { authorization: 'Bearer' }));
        await expectChallenge(await me(target(), { authorization: `Token ${user.token}` }));
      });

      it('a bad bearer token even with a good cookie: the bearer token decides', async () => {
        await expectChallenge(await me(target(), withCookie(user, { authorization: 'Bearer garbage' })));
      });
    });
  });

  describe('logout', () => {
    it('clears the cookie and revokes the old bearer token and the old cookie (legacy path)', async () => {
      const user = await newUser(target(), 'logout');
      expect((await me(target(), bearer(user))).status).toBe(200);
      const res = await target().fetch('/api/user/logout', { method: 'POST', headers: bearer(user) });
      expect(res.status).toBe(200);
      const cleared = parseSetCookie(res);
      expect(cleared.name).toBe('auth_token');
      expect(cleared.value).toBe('');
      const maxAge = cleared.attrs.get('max-age');
      const expires = cleared.attrs.get('expires');
      expect(maxAge === '0' || (expires !== undefined && Date.parse(expires) < Date.now())).toBe(true);
      expect(cleared.attrs.get('path')).toBe('/');

      await expectChallenge(await me(target(), bearer(user)));
      await expectChallenge(await me(target(), withCookie(user), '/api/user'));
      await expectChallenge(await target().fetch('/api/user/logout', { method: 'POST', headers: bearer(user) }));
    });

    it('still clears a cookie that no longer names a live session, answering 401', async () => {
      const user = await newUser(target(), 'logout-stale');
      // Revoked elsewhere (another device logged out with the bearer token).
      await target().fetch('/api/v1/user/logout', { method: 'POST', headers: bearer(user) });
      for (const cookie of [user.cookie, 'auth_token=garbage']) {
        for (const path of ['/api/user/logout', '/api/v1/user/logout']) {
          const res = await target().fetch(path, { method: 'POST', headers: { cookie } });
          await expectChallenge(res.clone());
          const cleared = parseSetCookie(res);
          expect(cleared.name).toBe('auth_token');
          expect(cleared.value).toBe('');
          expect(cleared.attrs.get('max-age')).toBe('0');
        }
      }
      // A failed bearer logout leaves cookies alone: it was not the cookie that failed.
      const other = await newUser(target(), 'logout-bearer-fail');
      const res = await target().fetch('/api/v1/user/logout', {
        method: 'POST',
        headers: withCookie(other, { authorization: 'Bearer garbage' }),
      });
      expect(res.status).toBe(401);
      expect(res.headers.getSetCookie()).toEqual([]);
      expect((await me(target(), withCookie(other))).status).toBe(200);
    });

    it('revokes every outstanding token of the user, not only the one used (v1 path, cookie)', async () => {
      const user = await newUser(target(), 'logout-all');
      const second = await target().fetch('/api/v1/user/login', json({ email: user.email, password: user.password }));
      const { token: otherToken } = (await second.json()) as { token: string };
      const res = await target().fetch('/api/v1/user/logout', { method: 'POST', headers: withCookie(user) });
      expect(res.status).toBe(204);
      expect(await res.text()).toBe('');
      expect(parseSetCookie(res).value).toBe('');
      await expectChallenge(await me(target(), withCookie(user)));
      await expectChallenge(await me(target(), bearer(user)));
      await expectChallenge(await me(target(), { authorization: `Bearer ${otherToken}` }));
    });

    it("leaves other users' sessions alone", async () => {
      const alice = await newUser(target(), 'alice');
      const bob = await newUser(target(), 'bob');
      expect((await target().fetch('/api/v1/user/logout', { method: 'POST', headers: bearer(alice) })).status).toBe(
        204,
      );
      expect((await me(target(), bearer(bob))).status).toBe(200);
    });

    it('lets the user log in again, with a token that works while the old one stays revoked', async () => {
      const user = await newUser(target(), 'relogin');
      await target().fetch('/api/user/logout', { method: 'POST', headers: bearer(user) });
      const again = await target().fetch('/api/user/login', json({ email: user.email, password: user.password }));
      expect(again.status).toBe(200);
      const { token } = (await again.json()) as { token: string };
      const cookie = parseSetCookie(again);
      expect(token).not.toBe(user.token);
      const res = await me(target(), { authorization: `Bearer ${token}` }, '/api/user');
      expect(res.status).toBe(200);
      expect(((await res.json()) as { id: number }).id).toBe(user.id);
      expect((await me(target(), { cookie: `auth_token=${cookie.value}` })).status).toBe(200);
      await expectChallenge(await me(target(), bearer(user)));
    });
  });
};

export default accounts;
