import { and, eq, sql } from 'drizzle-orm';
import type { Db } from './client';
import { users } from './schema';

/** Accounts: the user rows themselves. Session checks are in session-queries. */

/** The new user row; fails with a UNIQUE violation when the email is taken. */
export const insertUser = (db: Db, email: string, passwordHash: string, now: number) =>
  db.insert(users).values({ email, passwordHash, createdAt: now, updatedAt: now }).returning();

/** The user's id and email, or nothing. */
export const userById = (db: Db, userId: number) =>
  db.select({ id: users.id, email: users.email }).from(users).where(eq(users.id, userId)).limit(1);

export const setPasswordHash = (db: Db, userId: number, passwordHash: string, now: number) =>
  db.update(users).set({ passwordHash, updatedAt: now }).where(eq(users.id, userId));

/**
 * Ends every token of the user issued at `tokenVersion`; returns the row only if that was still
 * the live version (so a second logout with the same token changes nothing).
 */
export const bumpTokenVersion = (db: Db, userId: number, tokenVersion: number, now: number) =>
  db
    .update(users)
    .set({ tokenVersion: sql`${users.tokenVersion} + 1`, updatedAt: now })
    .where(and(eq(users.id, userId), eq(users.tokenVersion, tokenVersion)))
    .returning({ id: users.id });

/** Marks or unmarks a user as an operator: the operator command's one write. */
export const setOperatorFlag = (db: Db, email: string, operator: boolean, now: number) =>
  db
    .update(users)
    .set({ isOperator: operator, updatedAt: now })
    .where(eq(users.email, email))
    .returning({ id: users.id });

export const listOperators = (db: Db) =>
  db.select({ email: users.email }).from(users).where(eq(users.isOperator, true)).orderBy(users.email);
