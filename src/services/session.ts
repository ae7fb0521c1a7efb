import { eq } from 'drizzle-orm';
import { unauthorized } from '../auth/middleware';
import type { Session } from '../auth/token';
import type { Db } from '../db/client';
import { type UserRow, users } from '../db/schema';

/**
 * The query that proves a session is still valid. Services put it first in the batch of their
 * own reads so a request pays one database round trip, then pass its rows to `checkSession`.
 */
export const sessionQuery = (db: Db, session: Session) =>
  db.select().from(users).where(eq(users.id, session.userId)).limit(1);

/** Throws 401 unless the user still exists and has not revoked the token. */
export function checkSession(rows: UserRow[], session: Session): UserRow {
  const user = rows[0];
  if (!user || user.tokenVersion !== session.tokenVersion) {
    throw unauthorized('The session has ended: log in again.');
  }
  return user;
}

/** For requests with nothing else to read: one round trip. */
export async function currentUser(db: Db, session: Session): Promise<UserRow> {
  return checkSession(await sessionQuery(db, session), session);
}
