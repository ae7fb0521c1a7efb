import { and, desc, eq, isNull, lte, or, sql } from 'drizzle-orm';
import type { Session } from '../lib/session';
import type { Db } from './client';
import { insertWhere } from './insert-where';
import { apiKeys } from './schema';
import { mayWrite } from './session-queries';

export interface NewKeyRow {
  userId: number;
  prefix: string;
  keyHash: string;
  name: string | null;
  scope: 'read' | 'read-write';
  createdAt: number;
  expiresAt: number | null;
}

/** Inserts the key only while the session may write and the user has fewer than `max` keys. */
export const insertKey = (db: Db, session: Session, row: NewKeyRow, max: number) =>
  insertWhere(
    db,
    apiKeys,
    row,
    sql`${mayWrite(session)} AND (SELECT count(*) FROM api_keys AS ck WHERE ck.user_id = ${row.userId}) < ${max}`,
  ).returning();

export const keysOf = (db: Db, userId: number) =>
  db.select().from(apiKeys).where(eq(apiKeys.userId, userId)).orderBy(desc(apiKeys.id));

export const deleteKey = (db: Db, session: Session, keyId: number) =>
  db
    .delete(apiKeys)
    .where(and(eq(apiKeys.id, keyId), eq(apiKeys.userId, session.userId), mayWrite(session)))
    .returning({ id: apiKeys.id });

/** Records a use unless one was recorded less than `minGapMs` before `at`. */
export const markKeyUsed = (db: Db, keyHash: string, at: number, minGapMs: number) =>
  db
    .update(apiKeys)
    .set({ lastUsedAt: at })
    .where(and(eq(apiKeys.keyHash, keyHash), or(isNull(apiKeys.lastUsedAt), lte(apiKeys.lastUsedAt, at - minGapMs))));
