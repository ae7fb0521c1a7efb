import { and, eq, sql } from 'drizzle-orm';
import type { Session } from '../../lib/session';
import type { Db } from '../client';
import { guardedCall } from '../guarded';
import { kindOf, perDatabase, placeholders, type SessionCheckRow, type SessionKind, sessionColumns } from '../prepared';
import { images, users } from '../schema';
import { type ImageWithTagsRow, withTags } from './queries';

const imageStatement = perDatabase(
  (db, kind: SessionKind) =>
    db
      .select({ ...sessionColumns(kind), ...withTags })
      .from(users)
      .leftJoin(images, and(eq(images.id, sql.placeholder('imageId')), eq(images.ownerId, users.id)))
      .where(eq(users.id, sql.placeholder('userId')))
      .limit(1)
      .prepare(),
  (kind) => kind,
);

/**
 * One statement: the session check's row (none when the user is gone) and the owner's image
 * with its tags (undefined when there is no such image of theirs).
 */
export async function imageWithSession(
  db: Db,
  session: Session,
  imageId: number,
): Promise<{ session: SessionCheckRow[]; image: ImageWithTagsRow | undefined }> {
  const statement = imageStatement(db, kindOf(session));
  const rows = await guardedCall(db, () => statement.all({ ...placeholders(session), imageId }));
  const row = rows[0];
  if (!row) return { session: [], image: undefined };
  const { sessionTokenVersion, sessionKeyScope, ...image } = row;
  const check = [{ tokenVersion: sessionTokenVersion, keyScope: sessionKeyScope }];
  if (image.id === null) return { session: check, image: undefined };
  // Left-joined, so drizzle types every image column nullable; a matched row has them all.
  return { session: check, image: image as ImageWithTagsRow };
}
