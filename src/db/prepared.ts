import { and, eq, sql } from 'drizzle-orm';
import type { Session } from '../auth/token';
import type { Db } from './client';
import { guardedCall } from './guarded';
import { type ImageWithTagsRow, withTags } from './image-queries';
import { images, users } from './schema';

/**
 * The reads every image route runs, built once per database as drizzle prepared statements with
 * placeholders: the SQL text is not built again per request, and the session check rides in the
 * same single statement as the read (no BEGIN … COMMIT batch around two).
 */
function build(db: Db) {
  // The key found by its hash, belonging to this user, not expired at the request's time.
  const liveKeyScope = sql<
    string | null
  >`(SELECT sk.scope FROM api_keys AS sk WHERE sk.key_hash = ${sql.placeholder('keyHash')} AND sk.user_id = ${users.id} AND (sk.expires_at IS NULL OR sk.expires_at > ${sql.placeholder('at')}))`;
  const imageWithSession = (keyScope: typeof liveKeyScope) =>
    db
      .select({ sessionTokenVersion: users.tokenVersion, sessionKeyScope: keyScope, ...withTags })
      .from(users)
      .leftJoin(images, and(eq(images.id, sql.placeholder('imageId')), eq(images.ownerId, users.id)))
      .where(eq(users.id, sql.placeholder('userId')))
      .limit(1)
      .prepare();
  return {
    imageForToken: imageWithSession(sql<string | null>`NULL`),
    imageForKey: imageWithSession(liveKeyScope),
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
  const rows = await guardedCall(db, () =>
    session.kind === 'key'
      ? imageForKey.all({ userId: session.userId, imageId, keyHash: session.keyHash, at: session.at })
      : imageForToken.all({ userId: session.userId, imageId }),
  );
  const row = rows[0];
  if (!row) return { session: [], image: undefined };
  const { sessionTokenVersion, sessionKeyScope, ...image } = row;
  const check = [{ tokenVersion: sessionTokenVersion, keyScope: sessionKeyScope }];
  if (image.id === null) return { session: check, image: undefined };
  // Left-joined, so drizzle types every image column nullable; a matched row has them all.
  return { session: check, image: image as ImageWithTagsRow };
}
