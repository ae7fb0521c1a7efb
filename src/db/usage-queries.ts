import { and, asc, desc, eq, gt, gte, lte, or, type SQL, sql } from 'drizzle-orm';
import type { Session } from '../lib/session';
import type { Db } from './client';
import { guardedCall } from './guarded';
import { insertWhere } from './insert-where';
import { kindOf, perDatabase, placeholders, type SessionCheckRow, type SessionKind, sessionColumns } from './prepared';
import { usageDays, usageRequests, users, userUsage } from './schema';

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
 * Takes an image and its stored variants off its owner's totals; runs before the image and
 * variant rows are deleted in the same batch, under the delete's own guard, so it happens
 * exactly when the delete does.
 */
export const subtractFromUsage = (db: Db, userId: number, imageId: number, guard: SQL) =>
  db
    .update(userUsage)
    .set({
      imagesCount: sql`${userUsage.imagesCount} - 1`,
      bytesStored: sql`${userUsage.bytesStored} - (SELECT si.size FROM images AS si WHERE si.id = ${imageId})
        - (SELECT coalesce(sum(sv.size), 0) FROM image_variants AS sv WHERE sv.image_id = ${imageId})`,
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

// ---- per-day counters -----------------------------------------------------------------------

const item = (i: number) => sql.raw(`json_extract(j.value, '$[${i}]')`);
// Counts for users deleted meanwhile are dropped rather than failing the whole batch.
const ofExistingUser = sql`EXISTS (SELECT 1 FROM users AS ku WHERE ku.id = ${item(0)})`;

/** Counts for one user and day, as written to `usage_days` and `usage_requests`. */
export interface DayCounts {
  userId: number;
  day: string;
  bytesUploaded: number;
  bytesDownloaded: number;
  uploadsRefused: number;
  requests: Map<string, number>;
}

/**
 * The statements that add `counts` to the stored counters: one upsert per table, every row in
 * one bound JSON array (D1 binds at most 100 parameters), `+ excluded.…` so concurrent writers
 * from other isolates add up instead of overwriting each other.
 */
export function usageUpserts(db: Db, counts: readonly DayCounts[]) {
  const days = counts
    .filter((c) => c.bytesUploaded || c.bytesDownloaded || c.uploadsRefused)
    .map((c) => [c.userId, c.day, c.bytesUploaded, c.bytesDownloaded, c.uploadsRefused]);
  const requests = counts.flatMap((c) => [...c.requests].map(([operation, n]) => [c.userId, c.day, operation, n]));
  const statements = [];
  if (days.length) {
    statements.push(
      db
        .insert(usageDays)
        .select(
          sql`SELECT ${item(0)}, ${item(1)}, ${item(2)}, ${item(3)}, ${item(4)} FROM json_each(${JSON.stringify(days)}) AS j WHERE ${ofExistingUser}`,
        )
        .onConflictDoUpdate({
          target: [usageDays.userId, usageDays.day],
          set: {
            bytesUploaded: sql`${usageDays.bytesUploaded} + excluded.bytes_uploaded`,
            bytesDownloaded: sql`${usageDays.bytesDownloaded} + excluded.bytes_downloaded`,
            uploadsRefused: sql`${usageDays.uploadsRefused} + excluded.uploads_refused`,
          },
        }),
    );
  }
  if (requests.length) {
    statements.push(
      db
        .insert(usageRequests)
        .select(
          sql`SELECT ${item(0)}, ${item(1)}, ${item(2)}, ${item(3)} FROM json_each(${JSON.stringify(requests)}) AS j WHERE ${ofExistingUser}`,
        )
        .onConflictDoUpdate({
          target: [usageRequests.userId, usageRequests.day, usageRequests.operation],
          set: { count: sql`${usageRequests.count} + excluded.count` },
        }),
    );
  }
  return statements;
}

/** Writes the counts in one atomic batch. */
export async function flushUsage(db: Db, counts: readonly DayCounts[]): Promise<void> {
  const [first, ...rest] = usageUpserts(db, counts);
  if (first) await db.batch([first, ...rest]);
}

/** A user's day rows from `from` to `to` (UTC `YYYY-MM-DD`, inclusive). */
export const daysBetween = (db: Db, userId: number, from: string, to: string) =>
  db
    .select()
    .from(usageDays)
    .where(and(eq(usageDays.userId, userId), gte(usageDays.day, from), lte(usageDays.day, to)));

export const requestsBetween = (db: Db, userId: number, from: string, to: string) =>
  db
    .select()
    .from(usageRequests)
    .where(and(eq(usageRequests.userId, userId), gte(usageRequests.day, from), lte(usageRequests.day, to)));

// ---- every user's totals (operators) ----------------------------------------------------------

export type StorageSort = 'bytes' | 'images' | 'id';

const storedBytes = sql<number>`coalesce(${userUsage.bytesStored}, 0)`.mapWith(Number);
const storedImages = sql<number>`coalesce(${userUsage.imagesCount}, 0)`.mapWith(Number);

/**
 * One page of users with their totals: by bytes or images stored (most first, then id), or by
 * id; `after` is the last row of the previous page.
 */
export function storagePage(
  db: Db,
  sort: StorageSort,
  after: { value: number; id: number } | undefined,
  limit: number,
) {
  const measure = sort === 'images' ? storedImages : storedBytes;
  const keyset =
    after === undefined
      ? undefined
      : sort === 'id'
        ? gt(users.id, after.id)
        : or(sql`${measure} < ${after.value}`, and(sql`${measure} = ${after.value}`, gt(users.id, after.id)));
  return db
    .select({
      userId: users.id,
      email: users.email,
      imagesCount: storedImages,
      bytesStored: storedBytes,
      maxImages: userUsage.maxImages,
      maxBytes: userUsage.maxBytes,
    })
    .from(users)
    .leftJoin(userUsage, eq(userUsage.userId, users.id))
    .where(keyset)
    .orderBy(...(sort === 'id' ? [asc(users.id)] : [desc(measure), asc(users.id)]))
    .limit(limit);
}

// ---- stored totals with the session check, in one prepared statement ---------------------------

const usageStatement = perDatabase(
  (db, kind: SessionKind) =>
    db
      .select({
        ...sessionColumns(kind),
        imagesCount: userUsage.imagesCount,
        bytesStored: userUsage.bytesStored,
        maxImages: userUsage.maxImages,
        maxBytes: userUsage.maxBytes,
      })
      .from(users)
      .leftJoin(userUsage, eq(userUsage.userId, users.id))
      .where(eq(users.id, sql.placeholder('userId')))
      .limit(1)
      .prepare(),
  (kind) => kind,
);

/** One statement: the session check's row and the user's stored totals and quota overrides. */
export async function usageWithSession(
  db: Db,
  session: Session,
): Promise<{ session: SessionCheckRow[]; usage: UsageRow | undefined }> {
  const statement = usageStatement(db, kindOf(session));
  const rows = await guardedCall(db, () => statement.all(placeholders(session)));
  const row = rows[0];
  if (!row) return { session: [], usage: undefined };
  const { sessionTokenVersion, sessionKeyScope, imagesCount, bytesStored, maxImages, maxBytes } = row;
  const check = [{ tokenVersion: sessionTokenVersion, keyScope: sessionKeyScope }];
  // No user_usage row yet: nothing stored, no overrides.
  if (imagesCount === null || bytesStored === null) return { session: check, usage: undefined };
  return { session: check, usage: { imagesCount, bytesStored, maxImages, maxBytes } };
}
