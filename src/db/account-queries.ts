import { and, asc, eq, isNotNull, lte, type SQL, sql } from 'drizzle-orm';
import type { Db } from './client';
import { jsonList } from './json-list';
import {
  apiKeys,
  images,
  imageTags,
  imageVariants,
  loginThrottle,
  shareLinks,
  tags,
  usageDays,
  usageRequests,
  users,
  userUsage,
} from './schema';

/**
 * The account's own writes: password, email, and deletion. Deletion is a state of the user row
 * (`deleting_at`), then bounded batches that each remove some images with everything that hangs
 * off them, then one batch for the rest, so it can stop anywhere and be finished by a retry or
 * by housekeeping. Every statement is guarded by the row's state, so running a step twice, or
 * two runners at once, removes and subtracts each thing exactly once.
 */

/** The live session's user (this token version, not being deleted). */
const liveToken = (userId: number, tokenVersion: number): SQL =>
  sql`EXISTS (SELECT 1 FROM users AS lu WHERE lu.id = ${userId} AND lu.token_version = ${tokenVersion} AND lu.deleting_at IS NULL)`;

/** New hash, every token ended (the version moves on); returns the new version when it happened. */
export const replacePassword = (db: Db, userId: number, tokenVersion: number, passwordHash: string, now: number) =>
  db
    .update(users)
    .set({ passwordHash, tokenVersion: sql`${users.tokenVersion} + 1`, updatedAt: now })
    .where(and(eq(users.id, userId), eq(users.tokenVersion, tokenVersion), sql`${users.deletingAt} IS NULL`))
    .returning({ tokenVersion: users.tokenVersion });

/** The user's API keys, only once the password change in the same batch moved the version on. */
export const deleteKeysAfterPasswordChange = (db: Db, userId: number, newTokenVersion: number) =>
  db.delete(apiKeys).where(and(eq(apiKeys.userId, userId), liveToken(userId, newTokenVersion)));

/** New email (fails with a UNIQUE violation when taken); returns the row when it happened. */
export const replaceEmail = (db: Db, userId: number, tokenVersion: number, email: string, now: number) =>
  db
    .update(users)
    .set({ email, updatedAt: now })
    .where(and(eq(users.id, userId), eq(users.tokenVersion, tokenVersion), sql`${users.deletingAt} IS NULL`))
    .returning();

/** What the delete steps need to know about the user. */
export const accountState = (db: Db, userId: number) =>
  db
    .select({
      id: users.id,
      email: users.email,
      passwordHash: users.passwordHash,
      tokenVersion: users.tokenVersion,
      deletingAt: users.deletingAt,
    })
    .from(users)
    .where(eq(users.id, userId))
    .limit(1);

/**
 * Starts the deletion: the token version moves on (every token and login of the account is
 * refused from here: login refuses a row being deleted), and the row is marked. Returns the row
 * when this session started it.
 */
export const markDeleting = (db: Db, userId: number, tokenVersion: number, now: number) =>
  db
    .update(users)
    .set({ deletingAt: now, tokenVersion: sql`${users.tokenVersion} + 1`, updatedAt: now })
    .where(and(eq(users.id, userId), eq(users.tokenVersion, tokenVersion), sql`${users.deletingAt} IS NULL`))
    .returning({ id: users.id });

const beingDeleted = (userId: number): SQL =>
  sql`EXISTS (SELECT 1 FROM users AS du WHERE du.id = ${userId} AND du.deleting_at IS NOT NULL)`;

/** Keys and links of an account being deleted: nothing outside it may reach it any more. */
export const cutOutsideAccess = (db: Db, userId: number) => [
  db.delete(apiKeys).where(and(eq(apiKeys.userId, userId), beingDeleted(userId))),
  db.delete(shareLinks).where(and(eq(shareLinks.ownerId, userId), beingDeleted(userId))),
];

/**
 * A page of the account's images with every stored key they own (the original and each variant
 * row's key, stored or being made), lowest id first.
 */
export const imagesToRemove = (db: Db, userId: number, limit: number) =>
  db
    .select({
      id: images.id,
      key: images.storageKey,
      variantKeys: sql<string>`(SELECT json_group_array(rv.key) FROM image_variants AS rv WHERE rv.image_id = "images"."id")`,
    })
    .from(images)
    .where(eq(images.ownerId, userId))
    .orderBy(asc(images.id))
    .limit(limit);

/**
 * Removes these images of an account being deleted and everything hanging off them, in one batch:
 * the totals first, by exactly the rows that are still there (a second run finds none and
 * subtracts nothing), then tags' links, links, variants and the rows.
 */
export function removeImages(db: Db, userId: number, imageIds: readonly number[]) {
  const ids = jsonList(imageIds.map(String));
  const mine = sql`(SELECT ri.id FROM images AS ri WHERE ri.owner_id = ${userId} AND ri.id IN (SELECT CAST(value AS INTEGER) FROM json_each(${ids})))`;
  const guard = beingDeleted(userId);
  return [
    db
      .update(userUsage)
      .set({
        imagesCount: sql`${userUsage.imagesCount} - (SELECT count(*) FROM images AS ci WHERE ci.id IN ${mine})`,
        bytesStored: sql`${userUsage.bytesStored}
          - (SELECT coalesce(sum(si.size), 0) FROM images AS si WHERE si.id IN ${mine})
          - (SELECT coalesce(sum(sv.size), 0) FROM image_variants AS sv WHERE sv.image_id IN ${mine})`,
      })
      .where(and(eq(userUsage.userId, userId), guard)),
    db.delete(imageTags).where(and(sql`${imageTags.imageId} IN ${mine}`, guard)),
    db.delete(shareLinks).where(and(sql`${shareLinks.imageId} IN ${mine}`, guard)),
    db.delete(imageVariants).where(and(sql`${imageVariants.imageId} IN ${mine}`, guard)),
    db.delete(images).where(and(sql`${images.id} IN ${mine}`, guard)),
  ] as const;
}

/**
 * The rest of an account being deleted, once it has no image left: tags, keys, links, usage rows,
 * its account-wide login counter, and the user row last (every guard reads it). Returns the user
 * row when it went.
 */
export function removeAccountRows(db: Db, userId: number, accountCounterKey: string) {
  const guard = sql`${beingDeleted(userId)} AND NOT EXISTS (SELECT 1 FROM images AS li WHERE li.owner_id = ${userId})`;
  return [
    db.delete(tags).where(and(eq(tags.ownerId, userId), guard)),
    db.delete(apiKeys).where(and(eq(apiKeys.userId, userId), guard)),
    db.delete(shareLinks).where(and(eq(shareLinks.ownerId, userId), guard)),
    db.delete(usageDays).where(and(eq(usageDays.userId, userId), guard)),
    db.delete(usageRequests).where(and(eq(usageRequests.userId, userId), guard)),
    db.delete(userUsage).where(and(eq(userUsage.userId, userId), guard)),
    db
      .delete(loginThrottle)
      .where(and(eq(loginThrottle.scope, 'account'), eq(loginThrottle.key, accountCounterKey), guard)),
    db
      .delete(users)
      .where(and(eq(users.id, userId), guard))
      .returning({ id: users.id }),
  ] as const;
}

/** Accounts whose deletion began at or before `before`, oldest first (for housekeeping). */
export const unfinishedDeletions = (db: Db, before: number, limit: number) =>
  db
    .select({ id: users.id })
    .from(users)
    .where(and(isNotNull(users.deletingAt), lte(users.deletingAt, before)))
    .orderBy(asc(users.deletingAt))
    .limit(limit);
