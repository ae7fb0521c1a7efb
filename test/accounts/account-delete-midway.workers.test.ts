import { eq, inArray, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { readToken } from '../../src/auth/token';
import {
  apiKeys,
  images,
  imageTags,
  imageVariants,
  shareLinks,
  tags,
  usageDays,
  usageRequests,
  users,
  userUsage,
} from '../../src/db/schema';
import { deleteAccount, finishAccountDeletions } from '../../src/services/account-lifecycle';
import type { ImageStore } from '../../src/storage/image-store';
import { bearer, json, newUser, type TestUser } from '../support/client';
import { png } from '../support/images';
import { createKey } from '../support/keys';
import { upload } from '../support/upload';
import { appHarness } from '../support/workers/app-harness';
import { storedKeys } from '../support/workers/stored-keys';

/**
 * Deleting an account is bounded work per call, bytes before rows, so it can stop anywhere: a
 * fault midway leaves an account no one can use (no token, key, link or login) whose remaining
 * images are still counted exactly, and a retry of the same request, or housekeeping, finishes it.
 */

/** A store whose delete fails from its `failFrom`-th call on (1-based) while `failing`. */
function failingDeletes(store: ImageStore, mode: { failing: boolean; failFrom: number; calls: number }): ImageStore {
  return {
    ...store,
    async delete(keys) {
      mode.calls++;
      if (mode.failing && mode.calls >= mode.failFrom) throw new Error('injected delete failure');
      return store.delete(keys);
    },
  };
}

type Harness = ReturnType<typeof appHarness>;

/** An account with images, tags, variants, a key, a link and usage rows; and its stored keys. */
async function fullAccount(h: Harness, count: number) {
  const user = await newUser(h.target, 'doomed');
  for (let i = 0; i < count; i++) {
    const img = await upload(h.target, user, await png(20 + i, 12), { tags: [`t${i % 2}`, 'shared'] });
    expect((await h.target.fetch(`/api/v1/images/${img.id}/file?width=4`, { headers: bearer(user) })).status).toBe(200);
    if (i === 0)
      expect((await h.target.fetch(`/api/v1/images/${img.id}/links`, json({}, { headers: bearer(user) }))).status).toBe(
        201,
      );
  }
  await createKey(h.target, user, { scope: 'read' });
  await h.deps.usage?.settle(h.base.db);
  const rows = await h.base.db.select({ key: images.storageKey }).from(images).where(eq(images.ownerId, user.id));
  const variants = await h.base.db
    .select({ key: imageVariants.key })
    .from(imageVariants)
    .where(
      inArray(
        imageVariants.imageId,
        h.base.db.select({ id: images.id }).from(images).where(eq(images.ownerId, user.id)),
      ),
    );
  expect(variants.length).toBeGreaterThanOrEqual(count);
  return { user, keys: [...rows.map((r) => r.key), ...variants.map((v) => v.key)] };
}

/** The stored totals equal what the rows say, exactly. */
async function expectExactTotals(h: Harness, userId: number) {
  const [counted] = await h.base.db
    .select({
      images: sql<number>`(SELECT count(*) FROM images WHERE owner_id = ${userId})`,
      bytes: sql<number>`(SELECT coalesce(sum(size), 0) FROM images WHERE owner_id = ${userId})
        + (SELECT coalesce(sum(v.size), 0) FROM image_variants AS v JOIN images AS i ON i.id = v.image_id WHERE i.owner_id = ${userId})`,
    })
    .from(sql`(SELECT 1)`);
  const [stored] = await h.base.db.select().from(userUsage).where(eq(userUsage.userId, userId));
  expect({ images: stored?.imagesCount ?? 0, bytes: stored?.bytesStored ?? 0 }).toEqual({
    images: Number(counted?.images),
    bytes: Number(counted?.bytes),
  });
}

/** Nothing of the user is left, in any table or in the store. */
async function expectGone(h: Harness, userId: number, keys: string[]) {
  const db = h.base.db;
  expect(await db.select().from(users).where(eq(users.id, userId))).toEqual([]);
  expect(await db.select().from(images).where(eq(images.ownerId, userId))).toEqual([]);
  expect(await db.select().from(tags).where(eq(tags.ownerId, userId))).toEqual([]);
  expect(await db.select().from(apiKeys).where(eq(apiKeys.userId, userId))).toEqual([]);
  expect(await db.select().from(shareLinks).where(eq(shareLinks.ownerId, userId))).toEqual([]);
  expect(await db.select().from(userUsage).where(eq(userUsage.userId, userId))).toEqual([]);
  expect(await db.select().from(usageDays).where(eq(usageDays.userId, userId))).toEqual([]);
  expect(await db.select().from(usageRequests).where(eq(usageRequests.userId, userId))).toEqual([]);
  // No orphaned link or variant row (no image left to hang them on).
  expect(await db.select().from(imageTags).where(sql`image_id NOT IN (SELECT id FROM images)`)).toEqual([]);
  expect(await db.select().from(imageVariants).where(sql`image_id NOT IN (SELECT id FROM images)`)).toEqual([]);
  const stored = await storedKeys();
  expect(keys.filter((k) => stored.has(k))).toEqual([]);
}

async function sessionOf(h: Harness, user: TestUser) {
  const session = await readToken(h.deps.config.authSecret ?? '', user.token, new Date());
  if (!session) throw new Error('token not readable');
  return session;
}

const client = { address: '10.9.9.9', deviceCookie: undefined };

describe('deleting an account', () => {
  it('a store failure midway leaves it unusable but exactly counted; the same request again finishes it', async () => {
    const mode = { failing: false, failFrom: 2, calls: 0 };
    const h = appHarness((d) => ({ store: failingDeletes(d.store, mode) }));
    const bystander = await newUser(h.target, 'bystander');
    const kept = await upload(h.target, bystander, await png(9, 9), { tags: ['shared'] });
    const { user, keys } = await fullAccount(h, 5);
    Object.assign(mode, { failing: true, calls: 0 });
    const secret = h.deps.config.authSecret ?? '';
    await expect(
      deleteAccount(h.deps, secret, await sessionOf(h, user), user.password, client, { pageImages: 2, pages: 10 }),
    ).rejects.toThrow(/injected/);

    // Half-way: 2 of 5 images gone, the rest still counted exactly; nobody can use the account.
    expect(await h.base.db.select().from(images).where(eq(images.ownerId, user.id))).toHaveLength(3);
    await expectExactTotals(h, user.id);
    const [row] = await h.base.db.select().from(users).where(eq(users.id, user.id));
    expect(row?.deletingAt).not.toBeNull();
    expect((await h.target.fetch('/api/v1/user', { headers: bearer(user) })).status).toBe(401);
    expect((await h.target.fetch('/api/v1/images', { headers: bearer(user) })).status).toBe(401);
    const login = await h.target.fetch('/api/v1/user/login', json({ email: user.email, password: user.password }));
    expect(login.status).toBe(401);
    expect(await h.base.db.select().from(apiKeys).where(eq(apiKeys.userId, user.id))).toEqual([]);
    expect(await h.base.db.select().from(shareLinks).where(eq(shareLinks.ownerId, user.id))).toEqual([]);
    // Its email is still taken until the deletion ends.
    expect(
      (await h.target.fetch('/api/v1/user/register', json({ email: user.email, password: 'x'.repeat(12) }))).status,
    ).toBe(409);
    // Only the delete itself accepts the session it was started with, and still wants the password.
    const wrong = await h.target.fetch(
      '/api/v1/user',
      json({ password: 'not it at all' }, { method: 'DELETE', headers: bearer(user) }),
    );
    expect(wrong.status).toBe(403);

    mode.failing = false;
    const again = await h.target.fetch(
      '/api/v1/user',
      json({ password: user.password }, { method: 'DELETE', headers: bearer(user) }),
    );
    expect(again.status).toBe(204);
    await expectGone(h, user.id, keys);
    // The bystander: its image, its bytes, its tag (shared name) and its totals as they were.
    expect((await h.target.fetch(`/api/v1/images/${kept.id}/file`, { headers: bearer(bystander) })).status).toBe(200);
    await expectExactTotals(h, bystander.id);
    const [theirTag] = await h.base.db.select().from(tags).where(eq(tags.ownerId, bystander.id));
    expect(theirTag?.imageCount).toBe(1);
    // The email is free again.
    expect(
      (await h.target.fetch('/api/v1/user/register', json({ email: user.email, password: 'y'.repeat(12) }))).status,
    ).toBe(201);
  });

  it('a database failure on a batch midway: nothing counted twice, and housekeeping finishes it without the client', async () => {
    const h = appHarness();
    const { user, keys } = await fullAccount(h, 4);
    let batches = 0;
    const failing = new Proxy(h.deps.db, {
      get(target, prop, receiver) {
        if (prop === 'batch') {
          return (...args: unknown[]) => {
            batches++;
            // The password check, the mark, one page; then the second page's rows fail (its bytes
            // are already deleted).
            if (batches === 4) return Promise.reject(new Error('injected SQLITE_BUSY'));
            return (Reflect.get(target, prop, receiver) as (...a: unknown[]) => unknown).apply(target, args);
          };
        }
        return Reflect.get(target, prop, receiver);
      },
    });
    const secret = h.deps.config.authSecret ?? '';
    await expect(
      deleteAccount({ ...h.deps, db: failing }, secret, await sessionOf(h, user), user.password, client, {
        pageImages: 1,
        pages: 10,
      }),
    ).rejects.toThrow(/injected/);
    expect(await h.base.db.select().from(images).where(eq(images.ownerId, user.id))).toHaveLength(3);
    await expectExactTotals(h, user.id);

    // Not yet: a deletion is left to its request for a grace period.
    expect(await finishAccountDeletions(h.deps)).toBe(0);
    h.advance(10 * 60 * 1000);
    expect(await finishAccountDeletions(h.deps)).toBe(1);
    await expectGone(h, user.id, keys);
  });

  it('is bounded per call: done false until the last call; each call leaves the totals exact', async () => {
    const h = appHarness();
    const { user, keys } = await fullAccount(h, 5);
    const secret = h.deps.config.authSecret ?? '';
    const session = await sessionOf(h, user);
    const budget = { pageImages: 2, pages: 1 };
    expect(await deleteAccount(h.deps, secret, { ...session }, user.password, client, budget)).toEqual({ done: false });
    await expectExactTotals(h, user.id);
    expect(await deleteAccount(h.deps, secret, { ...session }, user.password, client, budget)).toEqual({ done: false });
    await expectExactTotals(h, user.id);
    expect(await deleteAccount(h.deps, secret, { ...session }, user.password, client, budget)).toEqual({ done: true });
    await expectGone(h, user.id, keys);
    // Gone: the session is refused.
    await expect(deleteAccount(h.deps, secret, { ...session }, user.password, client, budget)).rejects.toThrow(
      /session has ended/,
    );
  });
});
