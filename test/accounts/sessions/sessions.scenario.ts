import { beforeAll, describe, expect, it } from 'vitest';
import { callAuthRoute as call, expectChallenge, AUTH_ROUTES as ROUTES } from '../../support/auth-routes';
import { bearer, json, newUser, nowSeconds, type TestUser, withCookie } from '../../support/client';
import { getJson, v1Ids } from '../../support/image-api';
import { png } from '../../support/images';
import type { Scenario } from '../../support/scenarios';
import { authSecretOf } from '../../support/target';
import { base64url, claimsOf, forgeJwt, tamperSignature } from '../../support/tokens';
import { type UploadedV1, upload } from '../../support/upload';

/**
 * Every way a session token can be wrong, sent as a bearer token and as the cookie to a route
 * of every authenticated kind: each must answer a 401 problem with a Bearer challenge, never a
 * 500, and change nothing.
 */

const HOUR = 3600;

const sessions: Scenario = (target) => {
  let owner: TestUser;
  let other: TestUser;
  let image: UploadedV1;
  /** The claims and header the server put in the owner's token. */
  let claims: Record<string, unknown>;
  const header = { alg: 'HS256', typ: 'JWT' };

  beforeAll(async () => {
    owner = await newUser(target(), 'session-owner');
    other = await newUser(target(), 'session-other');
    image = await upload(target(), owner, await png(4, 4), { tags: ['cat'] });
    claims = claimsOf(owner.token);
  });

  /** Signed with the server's own secret: only the part under test is wrong. */
  const signed = (payload: unknown, h: Record<string, unknown> = header) =>
    forgeJwt(h, payload, { secret: authSecretOf(target()) });
  const randomKey = () => base64url(crypto.getRandomValues(new Uint8Array(32)));

  it('the forging helper makes tokens the server accepts (so each case below fails for its own reason)', async () => {
    for (const token of [
      await signed(claims),
      await signed({ ...claims, iat: nowSeconds(), exp: nowSeconds() + 60 }),
    ]) {
      const res = await target().fetch('/api/v1/user', { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { id: number }).id).toBe(owner.id);
    }
  });

  const CASES: [string, () => Promise<string>][] = [
    // Signatures and algorithms.
    ['a tampered signature', async () => tamperSignature(owner.token)],
    [
      'a payload changed under the original signature',
      async () => {
        const [h, , s] = owner.token.split('.');
        return `${h}.${base64url(JSON.stringify({ ...claims, sub: String(other.id) }))}.${s}`;
      },
    ],
    ['no signature', async () => owner.token.slice(0, owner.token.lastIndexOf('.') + 1)],
    ['alg none, unsigned', async () => forgeJwt({ alg: 'none', typ: 'JWT' }, claims, 'unsigned')],
    [
      'alg none, with the original signature',
      async () => `${base64url(JSON.stringify({ alg: 'none' }))}.${owner.token.split('.').slice(1).join('.')}`,
    ],
    ['alg "None"', async () => forgeJwt({ alg: 'None' }, claims, 'unsigned')],
    [
      'HS384 with the server secret',
      async () => forgeJwt({ alg: 'HS384' }, claims, { secret: authSecretOf(target()), hash: 'SHA-384' }),
    ],
    [
      'HS512 with the server secret',
      async () => forgeJwt({ alg: 'HS512' }, claims, { secret: authSecretOf(target()), hash: 'SHA-512' }),
    ],
    ['an RS256 header over an HMAC signature', async () => signed(claims, { alg: 'RS256', typ: 'JWT' })],
    ['an ES256 header over an HMAC signature', async () => signed(claims, { alg: 'ES256', typ: 'JWT' })],
    ['HS256 with another key', async () => forgeJwt(header, claims, { secret: randomKey() })],
    [
      'HS256 with another key that the header carries as a jwk',
      async () => {
        const k = randomKey();
        return forgeJwt({ ...header, jwk: { kty: 'oct', k } }, claims, { secret: k });
      },
    ],
    [
      'a critical header extension the server does not know',
      async () => signed(claims, { ...header, crit: ['exp-x'], 'exp-x': 1 }),
    ],
    ['an unencoded payload (b64: false)', async () => signed(claims, { ...header, b64: false, crit: ['b64'] })],
    // Time.
    ['expired', async () => signed({ ...claims, iat: nowSeconds() - 2 * HOUR, exp: nowSeconds() - HOUR })],
    ['expiring exactly now', async () => signed({ ...claims, iat: nowSeconds() - HOUR, exp: nowSeconds() })],
    ['not valid before an hour from now (nbf)', async () => signed({ ...claims, nbf: nowSeconds() + HOUR })],
    [
      'issued an hour in the future (iat)',
      async () => signed({ ...claims, iat: nowSeconds() + HOUR, exp: nowSeconds() + 2 * HOUR }),
    ],
    ['without exp', async () => signed({ sub: claims.sub, ver: claims.ver, iat: claims.iat })],
    ['exp as a string', async () => signed({ ...claims, exp: String(claims.exp) })],
    ['without iat', async () => signed({ sub: claims.sub, ver: claims.ver, exp: claims.exp })],
    ['iat as a string', async () => signed({ ...claims, iat: String(claims.iat) })],
    // Claims.
    ['without sub', async () => signed({ ...claims, sub: undefined })],
    ['sub a number', async () => signed({ ...claims, sub: owner.id })],
    ['sub with a leading zero', async () => signed({ ...claims, sub: `0${owner.id}` })],
    ['sub in exponent form', async () => signed({ ...claims, sub: `${owner.id}e0` })],
    ['sub with a space', async () => signed({ ...claims, sub: ` ${owner.id}` })],
    ['sub negative', async () => signed({ ...claims, sub: `-${owner.id}` })],
    ['sub zero', async () => signed({ ...claims, sub: '0' })],
    ['sub of no user', async () => signed({ ...claims, sub: '9007199254740991' })],
    ['sub beyond safe integers', async () => signed({ ...claims, sub: '9007199254740993' })],
    ['sub far beyond 64 bits', async () => signed({ ...claims, sub: '9'.repeat(40) })],
    ['sub an object', async () => signed({ ...claims, sub: { id: owner.id } })],
    ['without ver', async () => signed({ ...claims, ver: undefined })],
    ['ver a string', async () => signed({ ...claims, ver: String(claims.ver) })],
    ['ver a fraction', async () => signed({ ...claims, ver: 0.5 })],
    ['ver null', async () => signed({ ...claims, ver: null })],
    ['ver of a later session', async () => signed({ ...claims, ver: Number(claims.ver) + 1 })],
    ['ver beyond safe integers', async () => signed({ ...claims, ver: 2 ** 60 })],
    ['a payload that is an array', async () => signed([claims])],
    ['a payload that is a string', async () => signed(JSON.stringify('owner'))],
    ['a payload that is not JSON', async () => signed('{"sub":')],
    ['a header that is not JSON', async () => `${base64url('{"alg":')}.${owner.token.split('.').slice(1).join('.')}`],
    // Not a JWT at all.
    ['garbage', async () => 'not-a-token'],
    ['three empty segments', async () => '..'],
    ['two segments', async () => owner.token.split('.').slice(0, 2).join('.')],
    ['four segments', async () => `${owner.token}.${owner.token.split('.')[2]}`],
    ['a segment that is not base64url', async () => `${owner.token.split('.')[0]}.%%%.${owner.token.split('.')[2]}`],
    ['the token twice', async () => `${owner.token}${owner.token}`],
    ['8 KB long', async () => `${owner.token}${'A'.repeat(8 * 1024)}`],
    ['a JWE-shaped token (five segments)', async () => 'eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..AAAA.AAAA.AAAA'],
  ];

  describe.each(CASES)('a token %s', (_label, make) => {
    let token: string;
    beforeAll(async () => {
      token = await make();
    });

    it('is refused with a 401 challenge on every kind of route, as a bearer token and as the cookie', async () => {
      for (const route of ROUTES) {
        await expectChallenge(
          await call(target(), route, image.id, { authorization: `Bearer ${token}` }),
          `${route.label} bearer`,
        );
        await expectChallenge(
          await call(target(), route, image.id, { cookie: `auth_token=${token}` }),
          `${route.label} cookie`,
        );
      }
    });
  });

  it.each([
    ['Bearer with nothing after it', { authorization: 'Bearer' }],
    ['Bearer and two tokens', { authorization: 'Bearer abc def' }],
    ['a lower-case scheme and garbage', { authorization: 'bearer abc' }],
    ['two Authorization headers', { authorization: 'Bearer abc, Bearer def' }],
    ['an empty cookie', { cookie: 'auth_token=' }],
    ['a cookie that is not percent-decodable', { cookie: 'auth_token=%E0%A4%A' }],
    ['a quoted cookie', { cookie: 'auth_token="abc"' }],
    ['an unterminated quoted cookie', { cookie: 'auth_token="abc' }],
    ['a cookie without a value', { cookie: 'auth_token' }],
    ['a cookie header of separators', { cookie: ';;;=;=' }],
    ['only a Basic Authorization header', { authorization: 'Basic dXNlcjpwYXNz' }],
  ])('%s: a 401 challenge on every kind of route', async (label, headers) => {
    for (const route of ROUTES) {
      await expectChallenge(await call(target(), route, image.id, headers), `${label}: ${route.label}`);
    }
  });

  describe('a cookie and a bearer token that disagree: the bearer token decides', () => {
    const whoAmI = async (headers: Record<string, string>) => {
      const res = await target().fetch('/api/v1/user', { headers });
      return res.status === 200 ? ((await res.json()) as { id: number }).id : res;
    };

    it("a valid bearer token with a garbage cookie acts as the bearer's user", async () => {
      expect(await whoAmI(bearer(owner, { cookie: 'auth_token=garbage' }))).toBe(owner.id);
    });

    it("a valid bearer token with another user's valid cookie acts as the bearer's user", async () => {
      expect(await whoAmI(bearer(owner, withCookie(other)))).toBe(owner.id);
      expect(await whoAmI(bearer(other, withCookie(owner)))).toBe(other.id);
    });

    it('an invalid bearer token with a valid cookie is refused: the cookie is no fallback', async () => {
      for (const authorization of ['Bearer garbage', `Bearer ${tamperSignature(owner.token)}`, 'Bearer']) {
        for (const route of ROUTES) {
          await expectChallenge(
            await call(target(), route, image.id, withCookie(owner, { authorization })),
            `${authorization}: ${route.label}`,
          );
        }
      }
    });

    it('another scheme in Authorization leaves the cookie in charge', async () => {
      expect(await whoAmI(withCookie(owner, { authorization: 'Basic dXNlcjpwYXNz' }))).toBe(owner.id);
    });

    it('a write with a valid bearer token and a garbage cookie happens as the bearer user', async () => {
      const mine = await upload(target(), other, await png(3, 3), { tags: ['before'] });
      const res = await target().fetch(
        `/api/v1/images/${mine.id}/tags`,
        json({ tags: ['after'] }, { method: 'PUT', headers: bearer(other, { cookie: 'auth_token=garbage' }) }),
      );
      expect(res.status).toBe(200);
      expect(await getJson<string[]>(target(), other, `/api/${mine.id}/tags`)).toEqual(['after']);
    });
  });

  describe('a logged-out session', () => {
    it('refuses the old token and cookie on the user routes and on logging out again', async () => {
      const gone = await newUser(target(), 'session-gone');
      const out = await target().fetch('/api/v1/user/logout', { method: 'POST', headers: bearer(gone) });
      expect(out.status).toBe(204);
      for (const route of ROUTES.filter((r) => r.label.includes('/user'))) {
        await expectChallenge(await call(target(), route, image.id, bearer(gone)), `${route.label} bearer`);
        await expectChallenge(await call(target(), route, image.id, withCookie(gone)), `${route.label} cookie`);
      }
    });
  });

  it('changed nothing while refusing: the owner still has the one image, its tag, and a working token', async () => {
    expect(await v1Ids(target(), owner)).toEqual([image.id]);
    expect(await getJson<string[]>(target(), owner, `/api/${image.id}/tags`)).toEqual(['cat']);
    expect(await v1Ids(target(), other)).not.toContain(image.id);
  });
};

export default sessions;
