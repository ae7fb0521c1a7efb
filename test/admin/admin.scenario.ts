import { beforeAll, describe, expect, it } from 'vitest';
import type { components } from '../generated/api';
import { operator } from '../support/admin';
import { bearer, json, newUser, problem, type TestUser } from '../support/client';
import { png } from '../support/images';
import { asKey, createKey } from '../support/keys';
import { CLAIMED_ADMIN_EMAIL } from '../support/operator';
import type { Scenario } from '../support/scenarios';
import { setOperatorOn, type Target } from '../support/target';
import { upload } from '../support/upload';

type Page = components['schemas']['UserStoragePage'];
type Item = Page['items'][number];
type Report = components['schemas']['UsageReport'];

async function get<T>(target: Target, user: TestUser, path: string): Promise<T> {
  const res = await target.fetch(path, { headers: bearer(user) });
  if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** Every page of the listing, following next_cursor. */
async function allPages(target: Target, admin: TestUser, query: string): Promise<{ items: Item[]; pages: number }> {
  const items: Item[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const page: Page = await get<Page>(
      target,
      admin,
      `/api/v1/admin/usage?${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    );
    items.push(...page.items);
    cursor = page.next_cursor;
    pages++;
  } while (cursor && pages < 1000);
  return { items, pages };
}

const adminScenario: Scenario = (target) => {
  let admin: TestUser;
  const users: { user: TestUser; bytes: number; images: number }[] = [];

  beforeAll(async () => {
    admin = await operator(target());
    // Three users storing different amounts; two images each for the first, so images and bytes order differ.
    const small = await png(1, 1);
    const big = await png(40, 40);
    for (const images of [[small, small], [big], []]) {
      const user = await newUser(target(), 'admin-listed');
      for (const b of images) await upload(target(), user, b);
      users.push({ user, images: images.length, bytes: images.reduce((n, b) => n + b.length, 0) });
    }
  });

  describe('refusals', () => {
    it('grants nothing for registering the address listed in the retired ADMIN_EMAILS', async () => {
      const credentials = { email: CLAIMED_ADMIN_EMAIL, password: 'first to register it' };
      const reg = await target().fetch('/api/v1/user/register', json(credentials));
      expect(reg.status).toBe(201);
      const login = await target().fetch('/api/v1/user/login', json(credentials));
      expect(login.status).toBe(200);
      const { token } = (await login.json()) as { token: string };
      for (const path of ['/api/v1/admin/usage', `/api/v1/admin/users/${admin.id}/usage`]) {
        const res = await target().fetch(path, { headers: { authorization: `Bearer ${token}` } });
        expect(res.status, path).toBe(403);
      }
    });

    it('follows the operator action: granted, a user may use the admin API; revoked, no longer', async () => {
      const user = await newUser(target(), 'admin-granted');
      const read = () => target().fetch('/api/v1/admin/usage?limit=1', { headers: bearer(user) });
      const put = () =>
        target().fetch(
          `/api/v1/admin/users/${user.id}/quota`,
          json({ max_images: 7 }, { method: 'PUT', headers: bearer(user) }),
        );
      expect((await read()).status).toBe(403);
      expect((await put()).status).toBe(403);
      await setOperatorOn(target(), user.email, true);
      expect((await read()).status).toBe(200);
      expect((await put()).status).toBe(200);
      await setOperatorOn(target(), user.email, false);
      expect((await read()).status).toBe(403);
      expect((await put()).status).toBe(403);
    });

    it('answers 403 to anyone not made an operator, and 401 without a login', async () => {
      const user = users[0]?.user as TestUser;
      for (const path of ['/api/v1/admin/usage', `/api/v1/admin/users/${user.id}/usage`]) {
        const res = await target().fetch(path, { headers: bearer(user) });
        expect(res.status, path).toBe(403);
        expect((await problem(res)).detail).toMatch(/operators/);
        expect((await target().fetch(path)).status, path).toBe(401);
      }
    });

    it('lets an operator read with an API key, but not change quotas with a read key', async () => {
      const key = asKey(admin, await createKey(target(), admin, { scope: 'read' }));
      const user = users[0]?.user as TestUser;
      expect((await target().fetch('/api/v1/admin/usage?limit=1', { headers: bearer(key) })).status).toBe(200);
      const put = await target().fetch(
        `/api/v1/admin/users/${user.id}/quota`,
        json({ max_images: 5 }, { method: 'PUT', headers: bearer(key) }),
      );
      expect(put.status).toBe(403);
    });

    it.each([
      ['?limit=0', 'limit'],
      ['?limit=201', 'limit'],
      ['?limit=ten', 'limit'],
      ['?sort=size', 'sort'],
      ['?cursor=not-a-cursor', 'cursor'],
    ])('answers 400 naming the field to %s', async (query, field) => {
      const res = await target().fetch(`/api/v1/admin/usage${query}`, { headers: bearer(admin) });
      expect(res.status).toBe(400);
      expect((await problem(res)).errors?.map((e) => e.name)).toEqual([field]);
    });

    it('answers 404 for a user that does not exist and 400 for a bad id', async () => {
      const missing = await target().fetch('/api/v1/admin/users/9007199254740/usage', { headers: bearer(admin) });
      expect(missing.status).toBe(404);
      const bad = await target().fetch('/api/v1/admin/users/me/usage', { headers: bearer(admin) });
      expect(bad.status).toBe(400);
    });
  });

  describe('every user’s totals', () => {
    it.each([
      ['bytes', (i: Item) => i.storage.bytes_stored],
      ['images', (i: Item) => i.storage.images_count],
    ] as const)('sorted by %s, most first then by id, paged without gaps or repeats', async (sort, measure) => {
      const { items, pages } = await allPages(target(), admin, `sort=${sort}&limit=2`);
      expect(pages).toBeGreaterThan(1);
      const ids = items.map((i) => i.user_id);
      expect(new Set(ids).size).toBe(ids.length);
      for (let i = 1; i < items.length; i++) {
        const [a, b] = [items[i - 1] as Item, items[i] as Item];
        expect(measure(a) > measure(b) || (measure(a) === measure(b) && a.user_id < b.user_id)).toBe(true);
      }
      for (const { user, bytes, images } of users) {
        expect(items.find((i) => i.user_id === user.id)).toEqual({
          user_id: user.id,
          email: user.email,
          storage: {
            images_count: images,
            bytes_stored: bytes,
            limits: { max_bytes: 10 * 1024 ** 3, max_images: 100_000 },
            override: { max_bytes: null, max_images: null },
          },
        });
      }
      // The same users as listing by id.
      const byId = await allPages(target(), admin, 'sort=id&limit=200');
      expect([...ids].sort((a, b) => a - b)).toEqual(byId.items.map((i) => i.user_id));
    });

    it('sorts by bytes by default and pages 50 at a time', async () => {
      const page = await get<Page>(target(), admin, '/api/v1/admin/usage');
      expect(page.items.length).toBeLessThanOrEqual(50);
      const bytes = page.items.map((i) => i.storage.bytes_stored);
      expect(bytes).toEqual([...bytes].sort((a, b) => b - a));
    });
  });

  describe('one user’s series', () => {
    it('is the user’s own report, and the operator’s reads count for the operator', async () => {
      const { user } = users[1] as (typeof users)[number];
      const own = await get<Report>(target(), user, '/api/v1/user/usage');
      const seen = await get<Report>(target(), admin, `/api/v1/admin/users/${user.id}/usage`);
      // The user's own read was counted after it was answered: the operator sees it.
      expect(seen.totals.requests_by_operation).toEqual({
        ...own.totals.requests_by_operation,
        getUsage: (own.totals.requests_by_operation.getUsage ?? 0) + 1,
      });
      expect(seen.storage).toEqual(own.storage);
      expect(seen.user_id).toBe(user.id);
      const again = await get<Report>(target(), admin, `/api/v1/admin/users/${user.id}/usage`);
      expect(again.totals).toEqual(seen.totals);
    });
  });
};

export default adminScenario;
