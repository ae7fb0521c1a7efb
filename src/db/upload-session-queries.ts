import { and, asc, eq, gt, inArray, lt, sql } from 'drizzle-orm';
import type { Db } from './client';
import { images, type UploadPartRow, type UploadSessionRow, uploadParts, uploadSessions } from './schema';

/** Queries over upload sessions and the parts the app received for them (services/upload-sessions). */

export type NewUploadSession = typeof uploadSessions.$inferInsert;

export const insertUploadSession = (db: Db, row: NewUploadSession) => db.insert(uploadSessions).values(row);

/** The session if it is this user's: another user's id reads as no session at all. */
export async function ownUploadSession(db: Db, userId: number, id: string): Promise<UploadSessionRow | undefined> {
  const [row] = await db
    .select()
    .from(uploadSessions)
    .where(and(eq(uploadSessions.id, id), eq(uploadSessions.userId, userId)))
    .limit(1);
  return row;
}

/** Bytes the user's sessions still open (or completing) have declared: room they may claim. */
export async function openSessionBytes(db: Db, userId: number, now: number): Promise<number> {
  const [row] = await db
    .select({ bytes: sql<number>`COALESCE(SUM(${uploadSessions.size}), 0)` })
    .from(uploadSessions)
    .where(
      and(
        eq(uploadSessions.userId, userId),
        inArray(uploadSessions.state, ['open', 'completing']),
        gt(uploadSessions.expiresAt, now),
      ),
    );
  return Number(row?.bytes ?? 0);
}

/** Whoever's it is: a part is authorised by its token, which names the session. */
export async function uploadSessionById(db: Db, id: string): Promise<UploadSessionRow | undefined> {
  const [row] = await db.select().from(uploadSessions).where(eq(uploadSessions.id, id)).limit(1);
  return row;
}

export const partsOf = (db: Db, uploadId: string): Promise<UploadPartRow[]> =>
  db.select().from(uploadParts).where(eq(uploadParts.uploadId, uploadId)).orderBy(asc(uploadParts.number));

/** A part received (again): a re-sent part replaces the one before. Only while the session is open. */
export const recordPart = (db: Db, part: UploadPartRow) =>
  db
    .insert(uploadParts)
    .select(
      db
        .select({
          uploadId: sql<string>`${part.uploadId}`.as('upload_id'),
          number: sql<number>`${part.number}`.as('number'),
          size: sql<number>`${part.size}`.as('size'),
          etag: sql<string>`${part.etag}`.as('etag'),
          receivedAt: sql<number>`${part.receivedAt}`.as('received_at'),
        })
        .from(uploadSessions)
        .where(and(eq(uploadSessions.id, part.uploadId), eq(uploadSessions.state, 'open'))),
    )
    .onConflictDoUpdate({
      target: [uploadParts.uploadId, uploadParts.number],
      set: { size: part.size, etag: part.etag, receivedAt: part.receivedAt },
    })
    .returning({ number: uploadParts.number });

/**
 * Takes the session from `open` to `completing`: one statement, so of racing completes exactly
 * one gets the row back and does the work.
 */
export const claimForCompletion = (db: Db, userId: number, id: string, now: number) =>
  db
    .update(uploadSessions)
    .set({ state: 'completing', updatedAt: now })
    .where(and(eq(uploadSessions.id, id), eq(uploadSessions.userId, userId), eq(uploadSessions.state, 'open')))
    .returning({ id: uploadSessions.id });

/** Back to `open` (completion found parts missing: the client may still send them). */
export const reopen = (db: Db, id: string, now: number) =>
  db
    .update(uploadSessions)
    .set({ state: 'open', updatedAt: now })
    .where(and(eq(uploadSessions.id, id), eq(uploadSessions.state, 'completing')));

/** Completion refused the bytes (they are gone): said again to whoever completes it later. */
export const markRefused = (db: Db, id: string, refusal: string, now: number) =>
  db
    .update(uploadSessions)
    .set({ state: 'refused', refusal, updatedAt: now })
    .where(and(eq(uploadSessions.id, id), eq(uploadSessions.state, 'completing')));

/**
 * For the image's own batch: the session becomes `completed`, naming the image stored under its
 * key, only if that image row was written.
 */
export const markCompleted = (db: Db, id: string, storageKey: string, now: number) =>
  db
    .update(uploadSessions)
    .set({
      state: 'completed',
      imageId: sql`(SELECT i.id FROM images AS i WHERE i.storage_key = ${storageKey})`,
      updatedAt: now,
    })
    .where(
      and(eq(uploadSessions.id, id), sql`EXISTS (SELECT 1 FROM ${images} WHERE ${images.storageKey} = ${storageKey})`),
    );

/** Completed as an image that already existed (`on_duplicate=return`): the session answers it. */
export const markCompletedAs = (db: Db, id: string, imageId: number, now: number) =>
  db.update(uploadSessions).set({ state: 'completed', imageId, updatedAt: now }).where(eq(uploadSessions.id, id));

export const deleteUploadSession = (db: Db, id: string) =>
  db.batch([
    db.delete(uploadParts).where(eq(uploadParts.uploadId, id)),
    db.delete(uploadSessions).where(eq(uploadSessions.id, id)),
  ]);

/** Sessions past their expiry, oldest first, for housekeeping. */
export const expiredUploadSessions = (db: Db, now: number, limit: number) =>
  db
    .select()
    .from(uploadSessions)
    .where(lt(uploadSessions.expiresAt, now))
    .orderBy(asc(uploadSessions.expiresAt))
    .limit(limit);

/** Whether an image row holds this key (a completion that wrote its rows before it stopped). */
export async function keyHasImage(db: Db, storageKey: string): Promise<boolean> {
  const rows = await db
    .select({ id: images.id })
    .from(images)
    .where(inArray(images.storageKey, [storageKey]))
    .limit(1);
  return rows.length > 0;
}
