import { beforeAll, describe, expect, it } from 'vitest';
import { bearer, newUser, problem, type TestUser } from '../../support/client';
import { getJson, type V1Page, v1Ids } from '../../support/image-api';
import { noisePng, png, sha256Hex } from '../../support/images';
import type { Scenario } from '../../support/scenarios';
import { storedKeysOf } from '../../support/target';
import { imagePart, postParts, type UploadedV1, upload } from '../../support/upload';

interface Storage {
  storage: { images_count: number; bytes_stored: number };
}

const duplicates: Scenario = (target) => {
  let user: TestUser;

  beforeAll(async () => {
    user = await newUser(target(), 'dupes');
  });

  const post = (bytes: Uint8Array, onDuplicate?: string, u: TestUser = user) =>
    postParts(
      target(),
      onDuplicate ? `/api/v1/images?on_duplicate=${onDuplicate}` : '/api/v1/images',
      [imagePart(bytes)],
      u,
    );
  const storage = (u: TestUser = user) => getJson<Storage>(target(), u, '/api/v1/user/usage').then((r) => r.storage);
  const bySha = (sha: string, u: TestUser = user) => getJson<V1Page>(target(), u, `/api/v1/images?sha256=${sha}`);

  describe('GET /api/v1/images?sha256=', () => {
    it('lists exactly your images with those bytes, newest first', async () => {
      const bytes = await noisePng(8, 8);
      const sha = await sha256Hex(bytes);
      const first = await upload(target(), user, bytes);
      await upload(target(), user, await noisePng(8, 8));
      const second = await upload(target(), user, bytes);
      const page = await bySha(sha);
      expect(page.items.map((i) => i.id)).toEqual([second.id, first.id]);
      expect(page.items.every((i) => i.sha256 === sha)).toBe(true);
      // Upper case is the same hash.
      expect((await bySha(sha.toUpperCase())).items.map((i) => i.id)).toEqual([second.id, first.id]);
      expect((await bySha('0'.repeat(64))).items).toEqual([]);
    });

    it.each(['abc', 'g'.repeat(64), '0'.repeat(63), '0'.repeat(65)])(
      'refuses sha256=%s with a 400 problem',
      async (bad) => {
        const res = await target().fetch(`/api/v1/images?sha256=${bad}`, { headers: bearer(user) });
        expect(res.status).toBe(400);
        const body = await problem(res);
        expect((body.errors ?? []).map((e) => e.name)).toContain('sha256');
      },
    );
  });

  describe('on_duplicate', () => {
    it('allow (the default, and said) stores another copy', async () => {
      const bytes = await noisePng(6, 6);
      const a = await post(bytes);
      const b = await post(bytes, 'allow');
      expect([a.status, b.status]).toEqual([201, 201]);
      const [ia, ib] = (await Promise.all([a.json(), b.json()])) as UploadedV1[];
      expect(ib?.id).not.toBe(ia?.id);
      expect((await bySha(await sha256Hex(bytes))).items).toHaveLength(2);
    });

    it('reject answers 409 naming the existing image, and stores nothing', async () => {
      const bytes = await noisePng(7, 7);
      const existing = await upload(target(), user, bytes);
      const before = { storage: await storage(), keys: await storedKeysOf(target()) };
      const res = await post(bytes, 'reject');
      expect(res.status).toBe(409);
      const body = (await problem(res)) as Awaited<ReturnType<typeof problem>> & {
        existing_image?: { id: number; url: string };
      };
      expect(body.existing_image).toEqual({ id: existing.id, url: `/api/v1/images/${existing.id}` });
      expect(body.detail).toContain(String(existing.id));
      expect(await storage()).toEqual(before.storage);
      expect(await storedKeysOf(target())).toEqual(before.keys);
      // Other bytes still go in.
      expect((await post(await noisePng(7, 7), 'reject')).status).toBe(201);
    });

    it('return answers 200 with the existing image, stores no bytes and counts nothing', async () => {
      const bytes = await noisePng(9, 9);
      const existing = await upload(target(), user, bytes, { tags: ['kept'] });
      const before = { storage: await storage(), keys: await storedKeysOf(target()), ids: await v1Ids(target(), user) };
      const res = await post(bytes, 'return');
      expect(res.status).toBe(200);
      expect(res.headers.get('location')).toBe(`/api/v1/images/${existing.id}`);
      expect(await res.json()).toEqual(existing);
      expect(await storage()).toEqual(before.storage);
      expect(await storedKeysOf(target())).toEqual(before.keys);
      expect(await v1Ids(target(), user)).toEqual(before.ids);
    });

    it('return with new bytes stores them (201)', async () => {
      expect((await post(await noisePng(5, 5), 'return')).status).toBe(201);
    });

    it('refuses an unknown value with a 400 problem and stores nothing', async () => {
      const keys = await storedKeysOf(target());
      const res = await post(await png(4, 4), 'replace');
      expect(res.status).toBe(400);
      expect(((await problem(res)).errors ?? []).map((e) => e.name)).toContain('on_duplicate');
      expect(await storedKeysOf(target())).toEqual(keys);
    });

    it('racing identical uploads with reject store exactly one image', async () => {
      const racer = await newUser(target(), 'racer');
      const bytes = await noisePng(10, 10);
      const results = await Promise.all(Array.from({ length: 4 }, () => post(bytes, 'reject', racer)));
      const statuses = results.map((r) => r.status).sort();
      expect(statuses).toEqual([201, 409, 409, 409]);
      const [created] = (await Promise.all(
        results.filter((r) => r.status === 201).map((r) => r.json()),
      )) as UploadedV1[];
      for (const r of results.filter((r) => r.status === 409)) {
        const body = (await problem(r)) as { existing_image?: { id: number } };
        expect(body.existing_image?.id).toBe(created?.id);
      }
      expect(await v1Ids(target(), racer)).toEqual([created?.id]);
      expect((await storage(racer)).images_count).toBe(1);
    });

    it('racing identical uploads with return all answer the one image', async () => {
      const racer = await newUser(target(), 'racer');
      const bytes = await noisePng(10, 10);
      const results = await Promise.all(Array.from({ length: 3 }, () => post(bytes, 'return', racer)));
      expect(results.map((r) => r.status).sort()).toEqual([200, 200, 201]);
      const ids = new Set(((await Promise.all(results.map((r) => r.json()))) as UploadedV1[]).map((i) => i.id));
      expect(ids.size).toBe(1);
      expect(await v1Ids(target(), racer)).toEqual([...ids]);
    });
  });

  describe('per user only', () => {
    it("never finds, rejects on or returns another user's image", async () => {
      const alice = await newUser(target(), 'alice');
      const bob = await newUser(target(), 'bob');
      const bytes = await noisePng(11, 11);
      const sha = await sha256Hex(bytes);
      const alices = await upload(target(), alice, bytes);
      expect((await bySha(sha, bob)).items).toEqual([]);
      const rejected = await post(bytes, 'reject', bob);
      expect(rejected.status).toBe(201);
      const bobs = (await rejected.json()) as UploadedV1;
      expect(bobs.id).not.toBe(alices.id);
      const returned = await post(bytes, 'return', bob);
      expect(returned.status).toBe(200);
      expect(((await returned.json()) as UploadedV1).id).toBe(bobs.id);
      expect((await bySha(sha, alice)).items.map((i) => i.id)).toEqual([alices.id]);
    });
  });
};

export default duplicates;
