import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { d1Database } from '../../src/db/client';
import { LOGIN_LIMITS } from '../../src/services/login-throttle';
import { bearer, json, newUser, type TestUser } from '../support/client';
import { png } from '../support/images';
import { upload } from '../support/upload';
import { appHarness } from '../support/workers/app-harness';
import { countingD1 } from '../support/workers/counting-d1';

/**
 * The budget the design holds to: a read costs one D1 call including the session check, a tag
 * edit one batch. Counted at the binding: each `batch()` and each executed statement is one call.
 */
describe('database calls per request', () => {
  const counter = { calls: 0 };
  const h = appHarness(() => ({ db: d1Database(countingD1(env.DB, counter)) }));
  let user: TestUser;
  let id: number;
  let shared: { id: string; url: string };

  beforeAll(async () => {
    user = await newUser(h.target);
    for (let i = 0; i < 12; i++)
      id = (await upload(h.target, user, await png(2, 2), { tags: [`t${i % 3}`, 'all'] })).id;
    const res = await h.target.fetch(`/api/v1/images/${id}/links`, json({}, { headers: bearer(user) }));
    shared = (await res.json()) as typeof shared;
  });

  const callsFor = async (path: string, init: RequestInit = {}) => {
    counter.calls = 0;
    const res = await h.target.fetch(path, {
      ...init,
      headers: bearer(user, (init.headers ?? {}) as Record<string, string>),
    });
    expect(res.status).toBeLessThan(300);
    await res.arrayBuffer();
    return counter.calls;
  };

  it('a variant made: the image, the reservation of its slot, then one batch recording it', async () => {
    expect(await callsFor(`/api/v1/images/${id}/file?width=2&format=png`)).toBe(3);
  });

  it.each([
    ['metadata', () => `/api/v1/images/${id}`],
    ['bytes', () => `/api/v1/images/${id}/file`],
    ['legacy bytes', () => `/api/image/${id}`],
    ['tags', () => `/api/v1/images/${id}/tags`],
    ['a page of 10 with tags', () => '/api/v1/images?limit=10&tag=all'],
    ['the whole legacy list', () => '/api/images'],
    ['tag counts', () => '/api/v1/tags'],
    ['current user', () => '/api/v1/user'],
    // Including this isolate's not-yet-written usage counts, written in the same batch.
    ['usage report', () => '/api/v1/user/usage'],
    ['API keys', () => '/api/v1/user/keys'],
    ['the same variant again (made below)', () => `/api/v1/images/${id}/file?width=2&format=png`],
    ['share links of an image', () => `/api/v1/images/${id}/links`],
    ['a shared image', () => new URL(shared.url).pathname],
  ])('%s: one call', async (_name, path) => {
    expect(await callsFor(path())).toBe(1);
  });

  it.each([
    ['replace tags', () => [`/api/v1/images/${id}/tags`, json({ tags: ['x', 'y'] }, { method: 'PUT' })] as const],
    ['add a tag', () => [`/api/v1/images/${id}/tags/z`, { method: 'POST' }] as const],
    ['remove a tag', () => [`/api/v1/images/${id}/tags/z`, { method: 'DELETE' }] as const],
    ['clear tags', () => [`/api/v1/images/${id}/tags`, { method: 'DELETE' }] as const],
    ['revoke a share link', () => [`/api/v1/images/${id}/links/${shared.id}`, { method: 'DELETE' }] as const],
    ['delete an image', () => [`/api/v1/images/${id}`, { method: 'DELETE' }] as const],
  ])('%s: one batch', async (_name, request) => {
    const [path, init] = request();
    expect(await callsFor(path, init)).toBe(1);
  });

  describe('login: one batch reserving the attempt and reading the user before the password check; a right password gives its slot back', () => {
    const login = async (email: string, password: string, address = '192.0.2.10') => {
      counter.calls = 0;
      const res = await h.target.fetch(
        '/api/v1/user/login',
        json({ email, password }, { headers: { 'cf-connecting-ip': address } }),
      );
      await res.arrayBuffer();
      return { status: res.status, calls: counter.calls };
    };

    it('a good login: two calls, the second giving the reserved slot back', async () => {
      expect(await login(user.email, user.password)).toEqual({ status: 200, calls: 2 });
    });

    it('a wrong password: one call (the reserved slot is the count)', async () => {
      expect(await login(user.email, 'not the password')).toEqual({ status: 401, calls: 1 });
    });

    it('a good login after failures: two calls, as any good login', async () => {
      expect(await login(user.email, user.password)).toEqual({ status: 200, calls: 2 });
      expect(await login(user.email, user.password)).toEqual({ status: 200, calls: 2 });
    });

    it('while throttled: one call', async () => {
      const email = `budget-${crypto.randomUUID()}@example.com`;
      for (let i = 0; i < LOGIN_LIMITS.account.maxFailures; i++) {
        expect((await login(email, 'wrong', `192.0.2.${20 + i}`)).status).toBe(401);
      }
      expect(await login(email, 'wrong', '192.0.2.99')).toEqual({ status: 429, calls: 1 });
    });
  });

  it('a share link: the image with the session check, then one batch', async () => {
    const fresh = await upload(h.target, user, await png(2, 2));
    counter.calls = 0;
    const res = await h.target.fetch(`/api/v1/images/${fresh.id}/links`, json({}, { headers: bearer(user) }));
    expect(res.status).toBe(201);
    expect(counter.calls).toBe(2);
  });

  it('upload: the session check, then one batch', async () => {
    counter.calls = 0;
    await upload(h.target, user, await png(3, 3), { tags: ['a'] });
    expect(counter.calls).toBe(2);
  });
});
