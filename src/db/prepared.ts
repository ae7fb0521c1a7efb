import { and, eq, sql } from 'drizzle-orm';
import type { Session } from '../auth/token';
import type { Db } from './client';
import { guardedCall } from './guarded';
import { type ImageWithTagsRow, withTags } from './image-queries';
import { images, users, userUsage } from './schema';
import type { UsageRow } from './usage-queries';

/**
 * The reads every image route runs, built once per database as drizzle prepared statements with
 * placeholders: the SQL text is not built again per request, and the session check rides in the
 * same single statement as the read (no BEGIN … COMMIT batch around two).
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

function build(db: Db) {
  const imageWithSession = (kind: Session['kind']) =>
    db
      .select({ ...sessionColumns(kind), ...withTags })
      .from(users)
      .leftJoin(images, and(eq(images.id, sql.placeholder('imageId')), eq(images.ownerId, users.id)))
      .where(eq(users.id, sql.placeholder('userId')))
      .limit(1)
      .prepare();
  const usageWithSession = (kind: Session['kind']) =>
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
      .prepare();
  return {
    imageForToken: imageWithSession('token'),
    imageForKey: imageWithSession('key'),
    usageForToken: usageWithSession('token'),
    usageForKey: usageWithSession('key'),
  };
}

const built = new WeakMap<Db, ReturnType<typeof build>>();

function statements(db: Db) {
  let s = built.get(db);
  if (!s) {
    s = build(db);
    built.set(db, s);
  }
  return s;
}

/** What `checkSession` needs to know about the user (and key) a session names. */
export interface SessionCheckRow {
  tokenVersion: number;
  keyScope: string | null;
}

/**
 * One statement: the session check's row (none when the user is gone) and the owner's image
 * with its tags (undefined when there is no such image of theirs).
 */
export async function imageWithSession(
  db: Db,
  session: Session,
  imageId: number,
): Promise<{ session: SessionCheckRow[]; image: ImageWithTagsRow | undefined }> {
  const { imageForToken, imageForKey } = statements(db);
  const params = placeholders(session);
  const rows = await guardedCall(db, () =>
    session.kind === 'key' ? imageForKey.all({ ...params, imageId }) : imageForToken.all({ ...params, imageId }),
  );
  const row = rows[0];
  if (!row) return { session: [], image: undefined };
  const { sessionTokenVersion, sessionKeyScope, ...image } = row;
  const check = [{ tokenVersion: sessionTokenVersion, keyScope: sessionKeyScope }];
  if (image.id === null) return { session: check, image: undefined };
  // Left-joined, so drizzle types every image column nullable; a matched row has them all.
  return { session: check, image: image as ImageWithTagsRow };
}

/** One statement: the session check's row and the user's stored totals and quota overrides. */
export async function usageWithSession(
  db: Db,
  session: Session,
): Promise<{ session: SessionCheckRow[]; usage: UsageRow | undefined }> {
  const { usageForToken, usageForKey } = statements(db);
  const params = placeholders(session);
  const rows = await guardedCall(db, () =>
    session.kind === 'key' ? usageForKey.all(params) : usageForToken.all(params),
  );
  const row = rows[0];
  if (!row) return { session: [], usage: undefined };
  const { sessionTokenVersion, sessionKeyScope, imagesCount, bytesStored, maxImages, maxBytes } = row;
  const check = [{ tokenVersion: sessionTokenVersion, keyScope: sessionKeyScope }];
  // No user_usage row yet: nothing stored, no overrides.
  if (imagesCount === null || bytesStored === null) return { session: check, usage: undefined };
  return { session: check, usage: { imagesCount, bytesStored, maxImages, maxBytes } };
}

/** The session's placeholder values: the user, and for a key its hash and the request's time. */
export const placeholders = (session: Session) =>
  session.kind === 'key'
    ? { userId: session.userId, keyHash: session.keyHash, at: session.at }
    : { userId: session.userId };
