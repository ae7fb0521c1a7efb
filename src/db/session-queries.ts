import { eq, getTableColumns, type SQL, sql } from 'drizzle-orm';
import type { Session } from '../lib/session';
import type { Db } from './client';
import { users } from './schema';

/**
 * Session checks as SQL, so they ride along in the batch of a request's own statements. Keys are
 * found by their hash (unique index) and must belong to the user the key names.
 */

/** The key row's conditions: this hash, this user, not expired at the request's time. */
const liveKey = (session: Extract<Session, { kind: 'key' }>, alias: string) =>
  sql`${sql.raw(alias)}.key_hash = ${session.keyHash} AND ${sql.raw(alias)}.user_id = ${session.userId} AND (${sql.raw(alias)}.expires_at IS NULL OR ${sql.raw(alias)}.expires_at > ${session.at})`;

/**
 * The user row, plus `keyScope`: for a key session, the scope of the live key (null when the key
 * is unknown, revoked or expired); for a token session, always null.
 */
export const sessionRow = (db: Db, session: Session) =>
  db
    .select({
      ...getTableColumns(users),
      keyScope:
        session.kind === 'key'
          ? sql<string | null>`(SELECT sk.scope FROM api_keys AS sk WHERE ${liveKey(session, 'sk')})`
          : sql<string | null>`NULL`,
    })
    .from(users)
    .where(eq(users.id, session.userId))
    .limit(1);

export type SessionRow = Awaited<ReturnType<typeof sessionRow>>[number];

/**
 * True only while the session may write: a token not revoked by logout, or a live read-write
 * key. Write statements carry it so a batch changes nothing for a dead session.
 */
export function mayWrite(session: Session): SQL {
  if (session.kind === 'key') {
    return sql`EXISTS (SELECT 1 FROM api_keys AS wk WHERE ${liveKey(session, 'wk')} AND wk.scope = 'read-write')`;
  }
  return sql`EXISTS (SELECT 1 FROM users AS wu WHERE wu.id = ${session.userId} AND wu.token_version = ${session.tokenVersion})`;
}
