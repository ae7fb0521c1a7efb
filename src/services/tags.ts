import { batchAround, type Statement } from '../db/batch';
import {
  ensureTags,
  imageById,
  linkTags,
  ownedBy,
  tagCounts,
  toRecord,
  unlinkAllTags,
  unlinkTag,
  withTagRoom,
} from '../db/images/queries';
import { sessionRow } from '../db/session-queries';
import type { Session } from '../lib/session';
import { MAX_TAGS_PER_IMAGE } from '../limits';
import type { ServiceDeps } from './deps';
import { InvalidInput } from './errors';
import { getImage, noSuchImage } from './images';
import { checkSession } from './session';

/**
 * Every tag edit is one batch: guarded writes (they change nothing unless the session is live
 * and owns the image), then the session and the image as they now are.
 */
async function editThenRead(
  deps: Pick<ServiceDeps, 'db'>,
  session: Session,
  imageId: number,
  writes: (guard: ReturnType<typeof ownedBy>) => Statement[],
) {
  const { db } = deps;
  const [[before], [sessionRows, after]] = await batchAround(
    db,
    [imageById(db, session.userId, imageId)],
    writes(ownedBy(session, imageId)),
    [sessionRow(db, session), imageById(db, session.userId, imageId)],
  );
  checkSession(sessionRows, session);
  const [was] = before;
  const [now] = after;
  if (!was || !now) throw noSuchImage();
  return { before: toRecord(was).tags, after: toRecord(now).tags };
}

export async function getTags(deps: Pick<ServiceDeps, 'db'>, session: Session, imageId: number): Promise<string[]> {
  return (await getImage(deps, session, imageId)).tags;
}

/** Replaces all tags; `tags` already checked and de-duplicated. */
export async function replaceTags(deps: Pick<ServiceDeps, 'db'>, session: Session, imageId: number, tags: string[]) {
  const { after } = await editThenRead(deps, session, imageId, (guard) => [
    unlinkAllTags(deps.db, imageId, guard),
    ...(tags.length
      ? [ensureTags(deps.db, session.userId, tags, guard), linkTags(deps.db, session.userId, imageId, tags, guard)]
      : []),
  ]);
  return after;
}

export async function clearTags(deps: Pick<ServiceDeps, 'db'>, session: Session, imageId: number) {
  return (await editThenRead(deps, session, imageId, (guard) => [unlinkAllTags(deps.db, imageId, guard)])).after;
}

/** Adds one tag at the end. `added` is false when it was already there. */
export async function addTag(deps: Pick<ServiceDeps, 'db'>, session: Session, imageId: number, tag: string) {
  const { before, after } = await editThenRead(deps, session, imageId, (guard) => {
    // The cap is part of the guard, so a full image changes nothing.
    const withRoom = withTagRoom(guard, imageId, MAX_TAGS_PER_IMAGE);
    return [
      ensureTags(deps.db, session.userId, [tag], withRoom),
      linkTags(deps.db, session.userId, imageId, [tag], withRoom),
    ];
  });
  const added = !before.includes(tag);
  if (added && !after.includes(tag)) {
    throw new InvalidInput(`An image has at most ${MAX_TAGS_PER_IMAGE} tags.`, [
      { name: 'tag', in: 'path', message: `Image already has ${MAX_TAGS_PER_IMAGE} tags` },
    ]);
  }
  return { added, tags: after };
}

export async function removeTag(deps: Pick<ServiceDeps, 'db'>, session: Session, imageId: number, tag: string) {
  return (
    await editThenRead(deps, session, imageId, (guard) => [unlinkTag(deps.db, session.userId, imageId, tag, guard)])
  ).after;
}

/** The caller's tags in use, with how many images carry each. One database call. */
export async function listTagCounts(deps: Pick<ServiceDeps, 'db'>, session: Session) {
  const [sessionRows, rows] = await deps.db.batch([sessionRow(deps.db, session), tagCounts(deps.db, session.userId)]);
  checkSession(sessionRows, session);
  return rows;
}
