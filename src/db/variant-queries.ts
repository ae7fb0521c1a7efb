import { and, eq, lt, type SQL, sql } from 'drizzle-orm';
import type { Db } from './client';
import { insertWhere } from './insert-where';
import { jsonList } from './json-list';
import { images, imageVariants, userUsage } from './schema';

/**
 * Variant rows (schema `image_variants`): the reservation that bounds variants per image, and
 * the bytes they add to their owner's `bytes_stored`. Every rule is checked inside the statement
 * that writes, so concurrent requests are judged one at a time.
 */

export interface VariantSlot {
  imageId: number;
  hash: string;
  key: string;
  /** False for the list thumbnail, which the per-image cap does not count. */
  counted: boolean;
}

/** A reservation this request made: `reservedAt` tells it from any later one for the same slot. */
export type Reserved = Pick<VariantSlot, 'imageId' | 'hash'> & { reservedAt: number };

const slotRow = (s: Pick<VariantSlot, 'imageId' | 'hash'>) =>
  and(eq(imageVariants.imageId, s.imageId), eq(imageVariants.hash, s.hash));

/**
 * Reserves a slot for a variant being made: inserted only while the image exists and, unless the
 * slot is not counted, fewer than `max` counted variants (stored or being made) are on it. Returns
 * the row when reserved; nothing when the image is gone, the cap is reached or the slot is taken.
 */
export const reserveVariant = (db: Db, slot: VariantSlot, max: number, now: number) =>
  insertWhere(
    db,
    imageVariants,
    { ...slot, stored: false, size: 0, createdAt: now },
    sql`EXISTS (SELECT 1 FROM images AS vi WHERE vi.id = ${slot.imageId})
      AND (${slot.counted ? 1 : 0} = 0 OR (SELECT count(*) FROM image_variants AS vc WHERE vc.image_id = ${slot.imageId} AND vc.counted = 1) < ${max})`,
  )
    .onConflictDoNothing()
    .returning({ hash: imageVariants.hash });

/** Why a reservation was not made: whether the image and this slot exist, and the counted variants. */
export const variantStanding = (db: Db, slot: Pick<VariantSlot, 'imageId' | 'hash'>) =>
  db
    .select({
      image: sql<number>`(SELECT count(*) FROM images AS si WHERE si.id = ${slot.imageId})`.mapWith(Number),
      taken:
        sql<number>`(SELECT count(*) FROM image_variants AS st WHERE st.image_id = ${slot.imageId} AND st.hash = ${slot.hash})`.mapWith(
          Number,
        ),
      counted:
        sql<number>`(SELECT count(*) FROM image_variants AS sc WHERE sc.image_id = ${slot.imageId} AND sc.counted = 1)`.mapWith(
          Number,
        ),
    })
    .from(sql`(SELECT 1)`);

/** True while `size` more bytes fit the owner's byte quota (override, else `defaultMax`; 0 = unlimited). */
const bytesFit = (imageId: number, size: number, defaultMax: number): SQL =>
  sql`EXISTS (SELECT 1 FROM images AS fi LEFT JOIN user_usage AS fq ON fq.user_id = fi.owner_id WHERE fi.id = ${imageId}
    AND (coalesce(fq.max_bytes, ${defaultMax}) = 0 OR coalesce(fq.bytes_stored, 0) + ${size} <= coalesce(fq.max_bytes, ${defaultMax})))`;

/**
 * The statements that finish a reservation whose bytes are in the store, in one batch: the slot
 * becomes stored (only while it is still reserved and the bytes fit the owner's quota), the
 * owner's total grows by exactly the slot it stored, and a reservation left unstored is released.
 * The first returns the row when the variant was stored; otherwise the caller deletes the bytes
 * (the image was deleted meanwhile, or the quota is full).
 */
export function finishVariant(db: Db, slot: Reserved, size: number, defaultMaxBytes: number) {
  const mine = and(slotRow(slot), eq(imageVariants.createdAt, slot.reservedAt));
  return [
    db
      .update(imageVariants)
      .set({ stored: true, size })
      .where(and(mine, eq(imageVariants.stored, false), bytesFit(slot.imageId, size, defaultMaxBytes)))
      .returning({ hash: imageVariants.hash }),
    // Only this request's reservation (matched by when it was made) can have turned stored in
    // this batch: no other request finishes a reservation it did not make.
    db
      .update(userUsage)
      .set({ bytesStored: sql`${userUsage.bytesStored} + ${size}` })
      .where(
        and(
          sql`${userUsage.userId} = (SELECT oi.owner_id FROM images AS oi WHERE oi.id = ${slot.imageId})`,
          sql`EXISTS (SELECT 1 FROM image_variants AS fv WHERE fv.image_id = ${slot.imageId} AND fv.hash = ${slot.hash}
            AND fv.created_at = ${slot.reservedAt} AND fv.stored = 1 AND fv.size = ${size})`,
        ),
      ),
    releaseVariant(db, slot),
  ] as const;
}

/** Gives up a reservation that was not stored (the engine failed, or the bytes did not fit). */
export const releaseVariant = (db: Db, slot: Reserved) =>
  db
    .delete(imageVariants)
    .where(and(slotRow(slot), eq(imageVariants.createdAt, slot.reservedAt), eq(imageVariants.stored, false)));

/** An image's variant rows, removed in its delete batch under the delete's guard. */
export const deleteVariantRows = (db: Db, imageId: number, guard: SQL) =>
  db.delete(imageVariants).where(and(eq(imageVariants.imageId, imageId), guard));

/** Remembers that no engine could or would decode the image. */
export const markUndecodable = (db: Db, imageId: number, now: number) =>
  db.update(images).set({ decodeFailedAt: now }).where(eq(images.id, imageId));

/** Which of these variant keys a row (stored or being made) still points at (for housekeeping). */
export const referencedVariantKeys = (db: Db, keys: readonly string[]) =>
  db
    .select({ key: imageVariants.key })
    .from(imageVariants)
    .where(sql`${imageVariants.key} IN (SELECT value FROM json_each(${jsonList(keys)}))`);

/** Reservations never finished (the process stopped mid-build), older than `before`. */
export const deleteStaleReservations = (db: Db, before: number) =>
  db.delete(imageVariants).where(and(eq(imageVariants.stored, false), lt(imageVariants.createdAt, before)));
