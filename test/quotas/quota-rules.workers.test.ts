import { eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { images, tags, userUsage } from '../../src/db/schema';
import type { ImageStore } from '../../src/storage/image-store';
import { newUser, problem } from '../support/client';
import { png } from '../support/images';
import { upload, uploadRaw } from '../support/upload';
import { appHarness } from '../support/workers/app-harness';
import { storedKeys } from '../support/workers/stored-keys';

/** A store that counts puts and runs `beforePut` first (to let "another request" win a race). */
function spying(store: ImageStore, spy: { puts: number; beforePut?: () => Promise<void> }): ImageStore {
  return {
    ...store,
    put: async (...a) => {
      spy.puts++;
      await spy.beforePut?.();
      return store.put(...a);
    },
  };
}

const totals = async (db: ReturnType<typeof appHarness>['base']['db'], userId: number) =>
  (await db.select().from(userUsage).where(eq(userUsage.userId, userId)))[0];

describe('quota checks', () => {
  it('refuses from the pre-check before a byte is stored', async () => {
    const spy = { puts: 0 };
    const h = appHarness((d) => ({ store: spying(d.store, spy) }), { vars: { QUOTA_MAX_IMAGES: '1' } });
    const user = await newUser(h.target);
    await upload(h.target, user, await png(2, 2));
    expect(spy.puts).toBe(1);
    const refused = await uploadRaw(h.target, user, await png(2, 2));
    expect(refused.status).toBe(403);
    expect(spy.puts).toBe(1);
  });

  it('refuses inside the batch when a racing upload took the room after the pre-check, removing the bytes', async () => {
    const spy: { puts: number; beforePut?: () => Promise<void> } = { puts: 0 };
    const h = appHarness((d) => ({ store: spying(d.store, spy) }), { vars: { QUOTA_MAX_BYTES: '1000' } });
    const user = await newUser(h.target);
    const bytes = await png(3, 3);
    // The pre-check has passed when the bytes are stored; now "another upload" fills the quota.
    spy.beforePut = async () => {
      await h.base.db
        .insert(userUsage)
        .values({ userId: user.id, imagesCount: 5, bytesStored: 990 })
        .onConflictDoUpdate({ target: userUsage.userId, set: { imagesCount: 5, bytesStored: 990 } });
    };
    const before = await storedKeys();
    const refused = await uploadRaw(h.target, user, bytes, { tags: ['never-created'] });
    expect(refused.status).toBe(413);
    expect((await problem(refused)).detail).toContain('990 of 1000 bytes used');
    expect(spy.puts).toBe(1);
    expect([...(await storedKeys())].filter((k) => !before.has(k))).toEqual([]);
    expect(await h.base.db.select().from(images).where(eq(images.ownerId, user.id))).toEqual([]);
    expect(await h.base.db.select().from(tags).where(eq(tags.ownerId, user.id))).toEqual([]);
    expect(await totals(h.base.db, user.id)).toMatchObject({ imagesCount: 5, bytesStored: 990 });
  });

  it('leaves the totals unchanged when the upload batch fails', async () => {
    // Fails the next batch of more than two statements: the row batch, not the pre-check.
    const fail = { on: false };
    const h = appHarness((d) => ({
      db: new Proxy(d.db, {
        get(target, prop, receiver) {
          const value = Reflect.get(target, prop, receiver);
          if (prop !== 'batch') return value;
          return (statements: unknown[]) => {
            if (fail.on && statements.length > 2) {
              fail.on = false;
              return Promise.reject(new Error('injected batch failure'));
            }
            return value.call(target, statements);
          };
        },
      }),
    }));
    const user = await newUser(h.target);
    await upload(h.target, user, await png(2, 2));
    const before = await totals(h.base.db, user.id);
    expect(before).toMatchObject({ imagesCount: 1 });
    fail.on = true;
    const failed = await uploadRaw(h.target, user, await png(6, 6));
    expect(failed.status).toBe(500);
    expect(fail.on).toBe(false);
    expect(await totals(h.base.db, user.id)).toEqual(before);
    const count = await h.base.db.select({ n: sql<number>`count(*)` }).from(images).where(eq(images.ownerId, user.id));
    expect(count[0]?.n).toBe(1);
  });
});
