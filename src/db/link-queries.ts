import { and, desc, eq, gt, lte, type SQL, sql } from 'drizzle-orm';
import type { Db } from './client';
import { withTags } from './images/queries';
import { images, shareLinks } from './schema';

/** Links of an image that have not expired, newest first. */
export const liveLinks = (db: Db, ownerId: number, imageId: number, now: number) =>
  db
    .select()
    .from(shareLinks)
    .where(and(eq(shareLinks.imageId, imageId), eq(shareLinks.ownerId, ownerId), gt(shareLinks.expiresAt, now)))
    .orderBy(desc(shareLinks.createdAt), desc(shareLinks.id));

export const expiredLinks = (db: Db, imageId: number, now: number, guard: SQL) =>
  db.delete(shareLinks).where(and(eq(shareLinks.imageId, imageId), lte(shareLinks.expiresAt, now), guard));

export interface NewLink {
  id: string;
  imageId: number;
  ownerId: number;
  variant: string | null;
  createdAt: number;
  expiresAt: number;
}

/**
 * Inserts the link only while `guard` holds and the image has fewer than `max` links.
 * Columns in table order: id, image_id, owner_id, variant, created_at, expires_at.
 */
export const insertLink = (db: Db, link: NewLink, max: number, guard: SQL) =>
  db.insert(shareLinks).select(
    sql`SELECT ${link.id}, ${link.imageId}, ${link.ownerId}, ${link.variant}, ${link.createdAt}, ${link.expiresAt}
          WHERE ${guard} AND (SELECT count(*) FROM share_links AS sl WHERE sl.image_id = ${link.imageId}) < ${max}`,
  );

export const linkCount = (db: Db, imageId: number) =>
  db
    .select({ count: sql<number>`count(*)`.mapWith(Number) })
    .from(shareLinks)
    .where(eq(shareLinks.imageId, imageId));

export const linkById = (db: Db, id: string) => db.select().from(shareLinks).where(eq(shareLinks.id, id)).limit(1);

/** A live link with its image (and the image's tags): one statement for a public fetch. */
export const sharedImage = (db: Db, linkId: string, now: number) =>
  db
    .select({ ...withTags, linkExpiresAt: shareLinks.expiresAt, linkVariant: shareLinks.variant })
    .from(shareLinks)
    .innerJoin(images, and(eq(images.id, shareLinks.imageId), eq(images.ownerId, shareLinks.ownerId)))
    .where(and(eq(shareLinks.id, linkId), gt(shareLinks.expiresAt, now)))
    .limit(1);

export const deleteLink = (db: Db, imageId: number, linkId: string, guard: SQL) =>
  db.delete(shareLinks).where(and(eq(shareLinks.id, linkId), eq(shareLinks.imageId, imageId), guard));

/** Every link of the image, in the batch that deletes it: no link outlives its image. */
export const deleteLinksOf = (db: Db, imageId: number, guard: SQL) =>
  db.delete(shareLinks).where(and(eq(shareLinks.imageId, imageId), guard));
