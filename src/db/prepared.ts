import { sql } from 'drizzle-orm';
import type { Session } from '../lib/session';
import type { Db } from './client';
import { users } from './schema';

/**
 * Statements built once per database as drizzle prepared statements with placeholders, the
 * session check riding in the same single statement as the read (no BEGIN … COMMIT batch around
 * two): the image read (images/with-session.ts), the list (images/list-page.ts), the upload's
 * batch (images/upload-rows.ts) and the quota read (usage-queries.ts) share what is here.
 */

/**
 * The session check's columns for a statement over `users` (WHERE users.id = :userId): the user's
 * token version, and for an API-key session the scope of the key found by its hash, belonging to
 * this user, not expired at the request's time (placeholders keyHash and at); NULL for a token.
 * `"users"."id"` by hand: drizzle renders a column unqualified in a single-table select list,
 * where it would bind to api_keys' own id.
 */
export const sessionColumns = (kind: Session['kind']) => ({
  sessionTokenVersion: users.tokenVersion,
  sessionKeyScope:
    kind === 'key'
      ? sql<
          string | null
        >`(SELECT sk.scope FROM api_keys AS sk WHERE sk.key_hash = ${sql.placeholder('keyHash')} AND sk.user_id = "users"."id" AND (sk.expires_at IS NULL OR sk.expires_at > ${sql.placeholder('at')}))`
      : sql<string | null>`NULL`,
});

/**
 * `build(db, shape)` once per database and shape (`keyOf` names it), then the same statement on
 * every call: how the prepared reads, the list and the upload's batch keep their SQL from being
 * built per request.
 */
export function perDatabase<Shape, S>(build: (db: Db, shape: Shape) => S, keyOf: (shape: Shape) => string) {
  const built = new WeakMap<Db, Map<string, S>>();
  return (db: Db, shape: Shape): S => {
    let byShape = built.get(db);
    if (!byShape) {
      byShape = new Map();
      built.set(db, byShape);
    }
    const key = keyOf(shape);
    let statement = byShape.get(key);
    if (!statement) {
      statement = build(db, shape);
      byShape.set(key, statement);
    }
    return statement;
  };
}

/** Which session check a statement carries: a token's, or an API key's. */
export type SessionKind = 'token' | 'key';
export const kindOf = (session: Session): SessionKind => session.kind ?? 'token';

/** What `checkSession` needs to know about the user (and key) a session names. */
export interface SessionCheckRow {
  tokenVersion: number;
  keyScope: string | null;
}

/**
 * The session's placeholder values: the user, and its token version, or for a key its hash and the
 * request's time. A statement binds the ones it names and ignores the rest.
 */
export const placeholders = (session: Session) =>
  session.kind === 'key'
    ? { userId: session.userId, keyHash: session.keyHash, at: session.at }
    : { userId: session.userId, tokenVersion: session.tokenVersion };

/** A placeholder standing where a helper takes a value (drizzle binds it when the statement runs). */
export const slot = <T>(name: string) => sql.placeholder(name) as unknown as T;

/**
 * A session of placeholders named as `placeholders` fills them, for the session-query helpers
 * (session-queries, images/queries) when a statement is built once and bound per request
 * (upload-rows). A key's `write` is not a value in SQL: built for a write, as its users are.
 */
export function sessionPlaceholders(kind: SessionKind): Session {
  return kind === 'key'
    ? { kind, userId: slot('userId'), keyHash: slot('keyHash'), at: slot('at'), write: true }
    : { kind, userId: slot('userId'), tokenVersion: slot('tokenVersion') };
}
