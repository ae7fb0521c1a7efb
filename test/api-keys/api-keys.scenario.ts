import { beforeAll, describe, expect, it } from 'vitest';
import { bearer, form, json, newUser, problem, type TestUser, withCookie } from '../support/client';
import { callIdRoute, getJson, ID_ROUTES, v1Ids } from '../support/image-api';
import { png } from '../support/images';
import { asKey, createKey, listKeys } from '../support/keys';
import type { Scenario } from '../support/scenarios';
import { type UploadedV1, upload, uploadRaw } from '../support/upload';

const KEY_SHAPE = /^iak_([1-9]\d*)_([a-z0-9]{8})_([A-Za-z0-9_-]{43})$/;

async function expectStatus(res: Response, status: number, label = '') {
  if (res.status !== status) throw new Error(`${label}: expected ${status}, got ${res.status} ${await res.text()}`);
  const body = await problem(res);
  expect(body.status, label).toBe(status);
  return body;
}

/** `last_used_at` is written after the response: wait for it rather than race it. */
async function eventually<T>(read: () => Promise<T>, ok: (value: T) => boolean, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (ok(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
}

const apiKeys: Scenario = (target) => {
  let user: TestUser;
  let bytes: Uint8Array<ArrayBuffer>;

  beforeAll(async () => {
    user = await newUser(target(), 'keys');
    bytes = await png(5, 5);
  });

  describe('creating and listing', () => {
    it('creates a key shown once, with a visible prefix naming the account, and lists it without the secret', async () => {
      const res = await target().fetch(
        '/api/v1/user/keys',
        json({ name: 'backup script', scope: 'read-write', expires_in: 3600 }, { headers: bearer(user) }),
      );
      expect(res.status).toBe(201);
      expect(res.headers.get('cache-control')).toBe('no-store');
      const created = (await res.json()) as Awaited<ReturnType<typeof createKey>>;
      const match = KEY_SHAPE.exec(created.key);
      expect(match?.[1]).toBe(String(user.id));
      expect(created.key.startsWith(`${created.prefix}_`)).toBe(true);
      expect(created).toMatchObject({ name: 'backup script', scope: 'read-write', last_used_at: null });
      const lifetime = Date.parse(created.expires_at ?? '') - Date.parse(created.created_at);
      expect(lifetime).toBe(3_600_000);

      const listed = (await listKeys(target(), user)).find((k) => k.id === created.id);
      expect(listed).toEqual({
        id: created.id,
        prefix: created.prefix,
        name: 'backup script',
        scope: 'read-write',
        created_at: created.created_at,
        last_used_at: null,
        expires_at: created.expires_at,
      });
      const raw = await target().fetch('/api/v1/user/keys', { headers: bearer(user) });
      expect(await raw.text()).not.toContain(created.key.slice(created.prefix.length));
    });

    it('accepts a form body, no name, no expiry, and an explicit expires_at', async () => {
      const res = await target().fetch('/api/v1/user/keys', form([['scope', 'read']], { headers: bearer(user) }));
      expect(res.status).toBe(201);
      expect(await res.json()).toMatchObject({ scope: 'read', name: null, expires_at: null });
      const at = new Date(Date.now() + 86_400_000).toISOString();
      const dated = await createKey(target(), user, { scope: 'read', expires_at: at });
      expect(Math.abs(Date.parse(dated.expires_at ?? '') - Date.parse(at))).toBeLessThan(1000);
    });

    it.each([
      ['no body', undefined, ['scope']],
      ['an unknown scope', { scope: 'admin' }, ['scope']],
      ['a lifetime under a minute', { scope: 'read', expires_in: 10 }, ['expires_in']],
      ['a lifetime over ten years', { scope: 'read', expires_in: 400_000_000 }, ['expires_in']],
      ['an expiry in the past', { scope: 'read', expires_at: '2001-01-01T00:00:00Z' }, ['expires_at']],
      ['an unreadable expiry', { scope: 'read', expires_at: 'tomorrow' }, ['expires_at']],
      ['both expiries', { scope: 'read', expires_in: 60, expires_at: '2099-01-01T00:00:00Z' }, ['expires_at']],
      ['an empty name', { scope: 'read', name: '   ' }, ['name']],
      ['a name with a control character', { scope: 'read', name: 'a\u0007b' }, ['name']],
      ['a name over 100 characters', { scope: 'read', name: 'n'.repeat(101) }, ['name']],
    ])('answers 400 naming the field to %s', async (_label, body, fields) => {
      const init =
        body === undefined ? { method: 'POST', headers: bearer(user) } : json(body, { headers: bearer(user) });
      const res = await target().fetch('/api/v1/user/keys', init);
      const p = await expectStatus(res, 400);
      expect(p.errors?.map((e) => e.name)).toEqual(fields);
    });

    it('refuses without a login', async () => {
      await expectStatus(await target().fetch('/api/v1/user/keys', json({ scope: 'read' })), 401);
      await expectStatus(await target().fetch('/api/v1/user/keys'), 401);
    });
  });

  describe('a read-write key', () => {
    let keyed: TestUser;
    let image: UploadedV1;

    beforeAll(async () => {
      keyed = asKey(user, await createKey(target(), user, { scope: 'read-write', name: 'rw' }));
      image = await upload(target(), keyed, bytes, { tags: ['by-key'] });
    });

    it('authenticates as its owner on reads and writes', async () => {
      expect(await getJson<{ id: number }>(target(), keyed, '/api/v1/user')).toMatchObject({ id: user.id });
      expect(await v1Ids(target(), user)).toContain(image.id);
      const retag = await target().fetch(
        `/api/v1/images/${image.id}/tags`,
        json({ tags: ['edited'] }, { method: 'PUT', headers: bearer(keyed) }),
      );
      expect(retag.status).toBe(200);
      const file = await target().fetch(`/api/v1/images/${image.id}/file`, { headers: bearer(keyed) });
      expect(new Uint8Array(await file.arrayBuffer())).toEqual(bytes);
      expect(await getJson<string[]>(target(), keyed, `/api/${image.id}/tags`)).toEqual(['edited']);
    });

    it('records when it was last used', async () => {
      const prefix = keyed.token.split('_').slice(0, 3).join('_');
      const listed = await eventually(
        async () => (await listKeys(target(), user)).find((k) => k.prefix === prefix),
        (k) => k?.last_used_at !== null,
      );
      expect(listed?.last_used_at).not.toBeNull();
      expect(Date.parse(listed?.last_used_at ?? '')).toBeGreaterThanOrEqual(Date.parse(listed?.created_at ?? ''));
    });

    it('cannot create, list or revoke keys, nor log out', async () => {
      const tries: [string, RequestInit][] = [
        ['/api/v1/user/keys', json({ scope: 'read-write' }, { headers: bearer(keyed) })],
        ['/api/v1/user/keys', { headers: bearer(keyed) }],
        ['/api/v1/user/keys/1', { method: 'DELETE', headers: bearer(keyed) }],
        ['/api/v1/user/logout', { method: 'POST', headers: bearer(keyed) }],
        ['/api/user/logout', { method: 'POST', headers: bearer(keyed) }],
      ];
      for (const [path, init] of tries) await expectStatus(await target().fetch(path, init), 403, path);
      // The login token still works: the refused logout changed nothing.
      expect((await target().fetch('/api/v1/user', { headers: bearer(user) })).status).toBe(200);
    });

    it('is not sent as a cookie: the cookie only carries login tokens', async () => {
      const res = await target().fetch('/api/v1/user', {
        headers: withCookie({ cookie: `auth_token=${keyed.token}` }),
      });
      await expectStatus(res, 401);
    });

    it('survives the owner logging out (keys are revoked one by one)', async () => {
      const other = await newUser(target(), 'keys-logout');
      const key = asKey(other, await createKey(target(), other, { scope: 'read' }));
      expect((await target().fetch('/api/v1/user/logout', { method: 'POST', headers: bearer(other) })).status).toBe(
        204,
      );
      expect((await target().fetch('/api/v1/user', { headers: bearer(key) })).status).toBe(200);
    });
  });

  describe('a read-only key', () => {
    let keyed: TestUser;
    let image: UploadedV1;

    beforeAll(async () => {
      image = await upload(target(), user, bytes, { tags: ['cat'] });
      keyed = asKey(user, await createKey(target(), user, { scope: 'read' }));
    });

    it('reads', async () => {
      expect((await target().fetch(`/api/v1/images/${image.id}`, { headers: bearer(keyed) })).status).toBe(200);
      expect((await target().fetch(`/api/image/${image.id}`, { headers: bearer(keyed) })).status).toBe(200);
      expect((await target().fetch('/api/v1/images', { headers: bearer(keyed) })).status).toBe(200);
    });

    it.each(ID_ROUTES.filter((r) => r.method !== 'GET').map((r) => [r.label, r] as const))(
      '%s answers 403 and changes nothing',
      async (label, route) => {
        await expectStatus(await callIdRoute(target(), route, image.id, bearer(keyed)), 403, label);
        expect(await getJson<string[]>(target(), user, `/api/${image.id}/tags`)).toEqual(['cat']);
      },
    );

    it.each(['/api/v1/images', '/api/images'])('upload on %s answers 403 and stores nothing', async (path) => {
      const before = await v1Ids(target(), user);
      await expectStatus(await uploadRaw(target(), keyed, bytes, { path }), 403, path);
      expect(await v1Ids(target(), user)).toEqual(before);
    });
  });

  describe('revoking', () => {
    it('stops the key at once; the owner’s other keys and login keep working', async () => {
      const doomed = await createKey(target(), user, { scope: 'read-write' });
      const kept = await createKey(target(), user, { scope: 'read' });
      expect((await target().fetch('/api/v1/user', { headers: bearer(asKey(user, doomed)) })).status).toBe(200);

      const res = await target().fetch(`/api/v1/user/keys/${doomed.id}`, { method: 'DELETE', headers: bearer(user) });
      expect(res.status).toBe(204);
      expect(await res.text()).toBe('');

      for (const [path, init] of [
        ['/api/v1/user', {}],
        ['/api/v1/images', {}],
        [`/api/v1/images/1/tags/x`, { method: 'POST' }],
      ] as const) {
        const after = await target().fetch(path, { ...init, headers: bearer(asKey(user, doomed)) });
        const p = await expectStatus(after, 401, path);
        expect(p.detail).toMatch(/unknown, revoked or expired/);
      }
      await expectStatus(await uploadRaw(target(), asKey(user, doomed), bytes), 401, 'upload');
      expect((await listKeys(target(), user)).map((k) => k.id)).not.toContain(doomed.id);
      expect((await target().fetch('/api/v1/user', { headers: bearer(asKey(user, kept)) })).status).toBe(200);
      // Revoking again: it is gone.
      const again = await target().fetch(`/api/v1/user/keys/${doomed.id}`, { method: 'DELETE', headers: bearer(user) });
      await expectStatus(again, 404);
    });

    it('answers 404 for another user’s key and leaves it working', async () => {
      const other = await newUser(target(), 'keys-other');
      const theirs = await createKey(target(), other, { scope: 'read' });
      const res = await target().fetch(`/api/v1/user/keys/${theirs.id}`, { method: 'DELETE', headers: bearer(user) });
      await expectStatus(res, 404);
      expect((await target().fetch('/api/v1/user', { headers: bearer(asKey(other, theirs)) })).status).toBe(200);
      await expectStatus(
        await target().fetch('/api/v1/user/keys/abc', { method: 'DELETE', headers: bearer(user) }),
        400,
      );
    });
  });

  describe('keys that were never issued', () => {
    it('answers 401 to an unknown, a malformed and a re-addressed key', async () => {
      const real = await createKey(target(), user, { scope: 'read-write' });
      const other = await newUser(target(), 'keys-forge');
      const tries = [
        `iak_${user.id}_abcdefgh_${'A'.repeat(43)}`,
        'iak_nonsense',
        `${real.key}x`,
        // The same secret claiming another account: the hash covers the whole key.
        real.key.replace(`iak_${user.id}_`, `iak_${other.id}_`),
      ];
      for (const key of tries) {
        await expectStatus(
          await target().fetch('/api/v1/user', { headers: { authorization: `Bearer ${key}` } }),
          401,
          key,
        );
      }
    });
  });
};

export default apiKeys;
