import { beforeAll, describe, expect, it } from 'vitest';
import { operator, setQuota } from '../support/admin';
import { bearer, json, newUser, problem, type TestUser } from '../support/client';
import { legacyIds, v1Ids } from '../support/image-api';
import { png } from '../support/images';
import type { Scenario } from '../support/scenarios';
import { storedKeysOf } from '../support/target';
import { upload, uploadRaw } from '../support/upload';

const GiB = 1024 ** 3;

/** The storage figures as the operator sees them (setting the same overrides changes nothing). */
async function storageOf(target: () => import('../support/target').Target, admin: TestUser, user: TestUser) {
  const res = await target().fetch(`/api/v1/admin/users/${user.id}/quota`, {
    ...json({}, { method: 'PUT', headers: bearer(admin) }),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as Awaited<ReturnType<typeof setQuota>>;
}

const quotas: Scenario = (target) => {
  let admin: TestUser;
  let bytes: Uint8Array<ArrayBuffer>;

  beforeAll(async () => {
    admin = await operator(target());
    bytes = await png(7, 7);
  });

  describe('the operator sets overrides', () => {
    it('reports the defaults, an override, 0 as unlimited, and null back to the default', async () => {
      const user = await newUser(target(), 'quota-set');
      const defaults = await setQuota(target(), admin, user.id, {});
      expect(defaults).toEqual({
        images_count: 0,
        bytes_stored: 0,
        limits: { max_bytes: 10 * GiB, max_images: 100_000 },
        override: { max_bytes: null, max_images: null },
      });
      expect(await setQuota(target(), admin, user.id, { max_bytes: 1000, max_images: 0 })).toMatchObject({
        limits: { max_bytes: 1000, max_images: null },
        override: { max_bytes: 1000, max_images: 0 },
      });
      expect(await setQuota(target(), admin, user.id, { max_bytes: null })).toMatchObject({
        limits: { max_bytes: 10 * GiB, max_images: 100_000 },
        override: { max_bytes: null, max_images: null },
      });
    });

    it('refuses anyone else with 403, an unknown user with 404 and bad values with 400', async () => {
      const user = await newUser(target(), 'quota-not-admin');
      const mine = await target().fetch(
        `/api/v1/admin/users/${user.id}/quota`,
        json({ max_images: 100 }, { method: 'PUT', headers: bearer(user) }),
      );
      expect(mine.status).toBe(403);
      expect((await problem(mine)).detail).toMatch(/operators/);
      const missing = await target().fetch(
        '/api/v1/admin/users/9007199254740/quota',
        json({ max_images: 1 }, { method: 'PUT', headers: bearer(admin) }),
      );
      expect(missing.status).toBe(404);
      for (const body of [{ max_images: -1 }, { max_bytes: 1.5 }, { max_bytes: 'lots' }]) {
        const res = await target().fetch(
          `/api/v1/admin/users/${user.id}/quota`,
          json(body, { method: 'PUT', headers: bearer(admin) }),
        );
        expect(res.status, JSON.stringify(body)).toBe(400);
        expect((await problem(res)).errors?.[0]?.name).toBe(Object.keys(body)[0]);
      }
      const unauthenticated = await target().fetch(`/api/v1/admin/users/${user.id}/quota`, json({}, { method: 'PUT' }));
      expect(unauthenticated.status).toBe(401);
    });
  });

  describe('the image count', () => {
    it('refuses the upload past it with 403 naming the limit and usage, and makes room again on delete', async () => {
      const user = await newUser(target(), 'quota-count');
      await setQuota(target(), admin, user.id, { max_images: 2 });
      const first = await upload(target(), user, bytes);
      await upload(target(), user, bytes);
      for (const path of ['/api/v1/images', '/api/images']) {
        const keysBefore = await storedKeysOf(target());
        const refused = await uploadRaw(target(), user, bytes, { path });
        expect(refused.status, path).toBe(403);
        expect([...(await storedKeysOf(target()))].filter((k) => !keysBefore.has(k))).toEqual([]);
        const body = await problem(refused);
        expect(body.detail).toMatch(/2 of your 2 images/);
        expect((body as { quota?: unknown }).quota).toEqual({ limit: 'images', max: 2, used: 2, requested: 1 });
      }
      expect(await v1Ids(target(), user)).toHaveLength(2);
      expect(await legacyIds(target(), user)).toHaveLength(2);

      expect(
        (await target().fetch(`/api/v1/images/${first.id}`, { method: 'DELETE', headers: bearer(user) })).status,
      ).toBe(204);
      await upload(target(), user, bytes);
      expect(await storageOf(target, admin, user)).toMatchObject({ images_count: 2, bytes_stored: 2 * bytes.length });
    });
  });

  describe('the bytes stored', () => {
    it('refuses an upload that would pass it with 413 naming the limit and usage, storing nothing', async () => {
      const user = await newUser(target(), 'quota-bytes');
      const small = await png(1, 1);
      expect(small.length).toBeLessThan(bytes.length);
      const max = bytes.length * 2 + small.length;
      await setQuota(target(), admin, user.id, { max_bytes: max });
      await upload(target(), user, bytes);
      await upload(target(), user, bytes);
      const keysBefore = await storedKeysOf(target());
      const refused = await uploadRaw(target(), user, bytes);
      expect(refused.status).toBe(413);
      // The bytes had streamed into the store before the quota judged them: they are gone again.
      const keysAfter = await storedKeysOf(target());
      expect([...keysAfter].filter((k) => !keysBefore.has(k))).toEqual([]);
      const body = await problem(refused);
      expect(body.detail).toContain(`${bytes.length * 2} of ${max} bytes used`);
      expect((body as { quota?: unknown }).quota).toEqual({
        limit: 'bytes',
        max,
        used: bytes.length * 2,
        requested: bytes.length,
      });
      expect(await v1Ids(target(), user)).toHaveLength(2);
      // An image that fills the quota exactly still fits.
      expect((await uploadRaw(target(), user, small)).status).toBe(201);
      expect(await storageOf(target, admin, user)).toMatchObject({ images_count: 3, bytes_stored: max });
    });
  });

  describe('racing uploads', () => {
    const racers = 8;
    const room = 3;

    it(`store exactly ${room} of ${racers} against an image quota with room for ${room}`, async () => {
      const user = await newUser(target(), 'quota-race-count');
      await setQuota(target(), admin, user.id, { max_images: room });
      const answers = await Promise.all(Array.from({ length: racers }, () => uploadRaw(target(), user, bytes)));
      const statuses = answers.map((r) => r.status).sort();
      await Promise.all(answers.map((r) => r.arrayBuffer()));
      expect(statuses).toEqual([...Array(room).fill(201), ...Array(racers - room).fill(403)]);
      expect(await v1Ids(target(), user)).toHaveLength(room);
      expect(await storageOf(target, admin, user)).toMatchObject({
        images_count: room,
        bytes_stored: room * bytes.length,
      });
    });

    it(`store exactly ${room} of ${racers} against a byte quota with room for ${room}`, async () => {
      const user = await newUser(target(), 'quota-race-bytes');
      await setQuota(target(), admin, user.id, { max_bytes: room * bytes.length, max_images: 0 });
      const answers = await Promise.all(Array.from({ length: racers }, () => uploadRaw(target(), user, bytes)));
      const statuses = answers.map((r) => r.status).sort();
      await Promise.all(answers.map((r) => r.arrayBuffer()));
      expect(statuses).toEqual([...Array(room).fill(201), ...Array(racers - room).fill(413)]);
      expect(await v1Ids(target(), user)).toHaveLength(room);
      expect(await storageOf(target, admin, user)).toMatchObject({
        images_count: room,
        bytes_stored: room * bytes.length,
      });
    });
  });

  describe('stored totals', () => {
    it('follow every upload and delete exactly, including concurrent ones and refused deletes', async () => {
      const user = await newUser(target(), 'quota-totals');
      const other = await newUser(target(), 'quota-totals-other');
      const sizes = [await png(2, 2), await png(9, 3), await png(12, 12), await png(1, 30)];
      const uploaded = await Promise.all(sizes.map((b) => upload(target(), user, b)));
      const total = sizes.reduce((n, b) => n + b.length, 0);
      expect(await storageOf(target, admin, user)).toMatchObject({ images_count: 4, bytes_stored: total });

      // Someone else's delete and a second delete change nothing.
      const target0 = uploaded[0];
      if (!target0) throw new Error('no upload');
      expect(
        (await target().fetch(`/api/v1/images/${target0.id}`, { method: 'DELETE', headers: bearer(other) })).status,
      ).toBe(404);
      await Promise.all(
        [0, 1].map(() => target().fetch(`/api/v1/images/${target0.id}`, { method: 'DELETE', headers: bearer(user) })),
      );
      expect(await storageOf(target, admin, user)).toMatchObject({
        images_count: 3,
        bytes_stored: total - (sizes[0]?.length ?? 0),
      });
      expect(await storageOf(target, admin, other)).toMatchObject({ images_count: 0, bytes_stored: 0 });
    });
  });
};

export default quotas;
