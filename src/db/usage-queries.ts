import { and, eq, type SQL, sql } from 'drizzle-orm';
import type { Db } from './client';
import { insertWhere } from './insert-where';
import { userUsage } from './schema';

/**
 * Stored totals and quotas. Totals change only in the batches that add or remove an image, by
 * exactly that image, so they never drift; a user without a `user_usage` row has stored nothing.
 */

export interface QuotaDefaults {
  /** 0 = unlimited. */
  maxBytes: number;
  maxImages: number;
}

/** The user's totals and overrides (all null when they have no row yet). */
export const usageOf = (db: Db, userId: number) =>
  db
    .select({
      imagesCount: userUsage.imagesCount,
      bytesStored: userUsage.bytesStored,
      maxImages: userUsage.maxImages,
      maxBytes: userUsage.maxBytes,
    })
    .from(userUsage)
    .where(eq(userUsage.userId, userId))
    .limit(1);

export type UsageRow = Awaited<ReturnType<typeof usageOf>>[number];

/**
 * True while one more image of `size` bytes fits the user's quotas (override, else default;
 * 0 = unlimited), judged inside the batch that stores it: racing uploads cannot all pass.
 */
export const withinQuota = (userId: number, size: number, defaults: QuotaDefaults): SQL =>
  sql`EXISTS (SELECT 1 FROM users AS qu LEFT JOIN user_usage AS qq ON qq.user_id = qu.id WHERE qu.id = ${userId}
    AND (coalesce(qq.max_images, ${defaults.maxImages}) = 0 OR coalesce(qq.images_count, 0) + 1 <= coalesce(qq.max_images, ${defaults.maxImages}))
    AND (coalesce(qq.max_bytes, ${defaults.maxBytes}) = 0 OR coalesce(qq.bytes_stored, 0) + ${size} <= coalesce(qq.max_bytes, ${defaults.maxBytes})))`;

/** True once the image stored under `storageKey` has its row (in the same batch). */
export const imageStored = (storageKey: string): SQL =>
  sql`EXISTS (SELECT 1 FROM images AS ei WHERE ei.storage_key = ${storageKey})`;

/** Adds an image to its owner's totals, only if its row was written earlier in the batch. */
export const addToUsage = (db: Db, userId: number, size: number, storageKey: string) =>
  insertWhere(db, userUsage, { userId, imagesCount: 1, bytesStored: size }, imageStored(storageKey)).onConflictDoUpdate(
    {
      target: userUsage.userId,
      set: {
        imagesCount: sql`${userUsage.imagesCount} + excluded.images_count`,
        bytesStored: sql`${userUsage.bytesStored} + excluded.bytes_stored`,
      },
    },
  );

/**
 * Takes an image off its owner's totals; runs before the image row is deleted in the same
 * batch, under the delete's own guard, so it happens exactly when the delete does.
 */
export const subtractFromUsage = (db: Db, userId: number, imageId: number, guard: SQL) =>
  db
    .update(userUsage)
    .set({
      imagesCount: sql`${userUsage.imagesCount} - 1`,
      bytesStored: sql`${userUsage.bytesStored} - (SELECT si.size FROM images AS si WHERE si.id = ${imageId})`,
    })
    .where(and(eq(userUsage.userId, userId), guard));

/** Sets the operator's overrides (null: back to the default), creating the row if needed. */
export const setQuota = (db: Db, userId: number, quota: { maxBytes: number | null; maxImages: number | null }) =>
  insertWhere(
    db,
    userUsage,
    { userId, maxBytes: quota.maxBytes, maxImages: quota.maxImages },
    sql`EXISTS (SELECT 1 FROM users AS su WHERE su.id = ${userId})`,
  )
    .onConflictDoUpdate({ target: userUsage.userId, set: { maxBytes: quota.maxBytes, maxImages: quota.maxImages } })
    .returning();
