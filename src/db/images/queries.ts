import { and, asc, eq, getTableColumns, gt, is, isNull, Placeholder, type SQL, sql } from 'drizzle-orm';
import type { Session } from '../../lib/session';
import type { Db } from '../client';
import { insertWhere } from '../insert-where';
import { jsonList } from '../json-list';
import { images, imageTags, tags } from '../schema';
import { mayWrite } from '../session-queries';
import { type QuotaDefaults, withinQuota } from '../usage-queries';

/**
 * Queries over images and their tags. Subqueries name tables and columns by hand, with
 * aliases, so they never depend on how drizzle qualifies (or not) a column in context.
 * Reads return each image with its tags as one JSON column
 * (a correlated subquery), so a page of any length costs one statement (the list: list-page.ts).
 */

// Hand-qualified: drizzle renders columns unqualified in a single-table select list, which
// would bind them to the subquery's own tables.
export const tagsJson = sql<string>`(SELECT json_group_array(name) FROM (SELECT t.name AS name FROM image_tags AS it INNER JOIN tags AS t ON t.id = it.tag_id WHERE it.image_id = "images"."id" ORDER BY it.position))`;

export const withTags = { ...getTableColumns(images), tagsJson };

export type ImageWithTagsRow = typeof images.$inferSelect & { tagsJson: string };

export interface ImageRecord {
  id: number;
  ownerId: number;
  name: string;
  contentType: string;
  size: number;
  storageKey: string;
  sha256: string;
  width: number | null;
  height: number | null;
  /** False: stored under the declared type, bytes unrecognised (see services/upload-policy). */
  verified: boolean;
  createdAt: number;
  /** Set when an engine could not or would not decode it: no variants from then on. */
  decodeFailedAt: number | null;
  /** ThumbHash (base64) of a decoded verified image, or null (services/thumbhash.ts). */
  thumbhash: string | null;
  tags: string[];
}

export function toRecord(row: ImageWithTagsRow): ImageRecord {
  const { tagsJson: json, ...rest } = row;
  return { ...rest, tags: JSON.parse(json) as string[] };
}

export const imageById = (db: Db, ownerId: number, imageId: number) =>
  db
    .select(withTags)
    .from(images)
    .where(and(eq(images.id, imageId), eq(images.ownerId, ownerId)))
    .limit(1);

/** Whether the owner has this image: the id, or nothing. */
export const imageExists = (db: Db, ownerId: number, imageId: number) =>
  db
    .select({ id: images.id })
    .from(images)
    .where(and(eq(images.id, imageId), eq(images.ownerId, ownerId)))
    .limit(1);

export type NewImageRow = typeof images.$inferInsert;

/**
 * The image row, written only while the session may write and the image still fits the owner's
 * quota (racing uploads are judged one at a time inside their batches). Returns the row, or
 * nothing when it was not written.
 */
export const insertImage = (
  db: Db,
  session: Session,
  row: NewImageRow,
  quota: QuotaDefaults,
  { unique = false }: { unique?: boolean } = {},
) =>
  insertWhere(
    db,
    images,
    row,
    sql`${mayWrite(session)} AND ${withinQuota(session.userId, row.size, quota)}${unique ? sql` AND NOT EXISTS ${sameBytes(row.ownerId, row.sha256)}` : sql``}`,
  ).returning();

/**
 * The owner's images with these bytes. Inside the insert's own condition it makes
 * `on_duplicate=reject|return` exact under racing uploads: the batches are judged one at a time,
 * so of two identical uploads only the first writes a row (images_owner_sha256_idx).
 */
const sameBytes = (ownerId: number | SQL | Placeholder, sha256: string | SQL | Placeholder) =>
  sql`(SELECT 1 FROM images AS di WHERE di.owner_id = ${ownerId} AND di.sha256 = ${sha256})`;

/** The owner's oldest image with these bytes, with its tags (a duplicate check's answer). */
export const imageBySha256 = (db: Db, ownerId: number | Placeholder, sha256: string | Placeholder) =>
  db
    .select(withTags)
    .from(images)
    .where(and(eq(images.ownerId, ownerId), eq(images.sha256, sha256)))
    .orderBy(asc(images.id))
    .limit(1);

/** Sets the ThumbHash of an image that has none yet (the backfill). */
export const setThumbhash = (db: Db, imageId: number, thumbhash: string) =>
  db
    .update(images)
    .set({ thumbhash })
    .where(and(eq(images.id, imageId), isNull(images.thumbhash)));

/** Verified images with no ThumbHash, by id after `afterId` (the backfill's slice). */
export const imagesWithoutThumbhash = (db: Db, afterId: number, limit: number) =>
  db
    .select({
      id: images.id,
      storageKey: images.storageKey,
      contentType: images.contentType,
      width: images.width,
      height: images.height,
    })
    .from(images)
    .where(and(gt(images.id, afterId), isNull(images.thumbhash), eq(images.verified, true)))
    .orderBy(asc(images.id))
    .limit(limit);

/** The storage key of an image the guard allows, read inside a delete's batch before the row goes. */
export const storageKeyOf = (db: Db, imageId: number, guard: SQL) =>
  db
    .select({ key: images.storageKey })
    .from(images)
    .where(and(eq(images.id, imageId), guard));

export const deleteImageRow = (db: Db, imageId: number, guard: SQL) =>
  db.delete(images).where(and(eq(images.id, imageId), guard));

/** A list given now, or a placeholder bound to a jsonList when the statement runs (db/upload-rows). */
const listParam = (names: readonly string[] | Placeholder) =>
  is(names, Placeholder) ? names : jsonList(names as readonly string[]);

/**
 * True only while the session may write (a live token, or a live read-write API key) and owns
 * the image: write statements carry it so a batch changes nothing for a revoked token or key,
 * a read-only key, or someone else's image.
 */
export const ownedBy = (session: Session, imageId: number) =>
  sql`(EXISTS (SELECT 1 FROM images AS gi WHERE gi.id = ${imageId} AND gi.owner_id = ${session.userId}) AND ${mayWrite(session)})`;

// Writes are drizzle builders (not `db.run(sql)`), which D1's batch cannot bind.

/**
 * Creates the owner's tag rows that do not exist yet. Columns in table order: id, owner_id, name,
 * image_count (0: the image_tags triggers count the links that follow).
 */
export const ensureTags = (db: Db, ownerId: number, names: readonly string[] | Placeholder, guard: SQL = sql`1`) =>
  db
    .insert(tags)
    .select(sql`SELECT NULL, ${ownerId}, value, 0 FROM json_each(${listParam(names)}) WHERE ${guard}`)
    .onConflictDoNothing();

/**
 * Links tags to an image in the given order, after any it already has. `imageId` may be a
 * subquery (an upload links by storage key, whose id is not known inside the batch).
 * Columns in table order: image_id, tag_id, position.
 */
export const linkTags = (
  db: Db,
  ownerId: number,
  imageId: SQL | number,
  names: readonly string[] | Placeholder,
  guard: SQL = sql`1`,
) =>
  db
    .insert(imageTags)
    .select(
      sql`SELECT ${imageId}, t.id,
            (SELECT coalesce(max(it.position), -1) + 1 FROM image_tags AS it WHERE it.image_id = ${imageId}) + j.key
          FROM json_each(${listParam(names)}) AS j INNER JOIN tags AS t ON t.owner_id = ${ownerId} AND t.name = j.value
          WHERE ${guard}`,
    )
    .onConflictDoNothing();

export const unlinkAllTags = (db: Db, imageId: number, guard: SQL) =>
  db.delete(imageTags).where(and(eq(imageTags.imageId, imageId), guard));

export const unlinkTag = (db: Db, ownerId: number, imageId: number, name: string, guard: SQL) =>
  db
    .delete(imageTags)
    .where(
      and(
        eq(imageTags.imageId, imageId),
        sql`"image_tags"."tag_id" = (SELECT t.id FROM tags AS t WHERE t.owner_id = ${ownerId} AND t.name = ${name})`,
        guard,
      ),
    );

/** The guard, and the image has fewer than `max` tags: a full image changes nothing. */
export const withTagRoom = (guard: SQL, imageId: number, max: number) =>
  sql`${guard} AND (SELECT count(*) FROM image_tags AS ct WHERE ct.image_id = ${imageId}) < ${max}`;

export const imageIdByStorageKey = (key: string) => sql`(SELECT si.id FROM images AS si WHERE si.storage_key = ${key})`;

/**
 * The owner's tags that are on at least one image, with counts: the counts kept by image_tags'
 * triggers (drizzle/0009), so the read is the owner's range of tags_owner_name_unique, in name
 * order, and never visits image_tags (test/support/list-plans.ts checks the plan).
 */
export const tagCounts = (db: Db, ownerId: number) =>
  db
    .select({ name: tags.name, count: tags.imageCount })
    .from(tags)
    .where(and(eq(tags.ownerId, ownerId), gt(tags.imageCount, 0)))
    .orderBy(tags.name);

/** Which of these storage keys rows still point at (for housekeeping). */
export const referencedKeys = (db: Db, keys: readonly string[]) =>
  db
    .select({ key: images.storageKey })
    .from(images)
    .where(sql`"images"."storage_key" IN (SELECT value FROM json_each(${jsonList(keys)}))`);
