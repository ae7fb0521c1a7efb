/**
 * Share links: a URL that fetches one image (or one pinned variant of it) without credentials
 * until it expires or is revoked. Revoking deletes the row, and so does deleting the image; a
 * link that is expired, revoked, tampered with or never existed is the same NotFound.
 */
import { newLinkId } from '../auth/share-token';
import { type ImageRecord, imageById, imageExists, ownedBy, toRecord } from '../db/images/queries';
import { deleteLink, expiredLinks, insertLink, linkById, linkCount, liveLinks, sharedImage } from '../db/link-queries';
import type { ShareLinkRow } from '../db/schema';
import { sessionRow } from '../db/session-queries';
import type { Session } from '../lib/session';
import { MAX_LINKS_PER_IMAGE } from '../limits';
import type { ServiceDeps } from './deps';
import { CannotProcess, Conflict, NotFound } from './errors';
import { getImage, noSuchImage } from './images';
import { checkSession } from './session';
import { UNDECODABLE, variantRefusal } from './variants/refusals';
import { isVariantRequest, type VariantRequest } from './variants/request';

export const MIN_EXPIRES_IN = 60;
export const MAX_EXPIRES_IN = 30 * 24 * 60 * 60;
export const DEFAULT_EXPIRES_IN = 24 * 60 * 60;

export interface ShareLink {
  id: string;
  imageId: number;
  /** The pinned variant, or null: the original. */
  variant: VariantRequest | null;
  createdAt: number;
  expiresAt: number;
}

const VARIANT_KEYS = ['width', 'height', 'fit', 'format', 'quality', 'enlarge'] as const;

/** Stored with its keys in one order, defaults left out. */
function variantJson(variant: VariantRequest | null): string | null {
  if (!variant || !isVariantRequest(variant)) return null;
  return JSON.stringify(
    Object.fromEntries(VARIANT_KEYS.flatMap((k) => (variant[k] === undefined ? [] : [[k, variant[k]]]))),
  );
}

const toLink = (row: ShareLinkRow): ShareLink => ({
  id: row.id,
  imageId: row.imageId,
  variant: row.variant === null ? null : (JSON.parse(row.variant) as VariantRequest),
  createdAt: row.createdAt,
  expiresAt: row.expiresAt,
});

export const noSuchLink = () => new NotFound('No such share link.');

/**
 * Two database calls: the image (with the session check), so a pinned variant the image can
 * never have is refused now rather than at every fetch; then one guarded batch that clears the
 * image's expired links and adds the new one.
 */
export async function createLink(
  deps: Pick<ServiceDeps, 'db' | 'clock' | 'transformer' | 'config'>,
  session: Session,
  imageId: number,
  input: { expiresIn: number; variant: VariantRequest | null },
): Promise<ShareLink> {
  const image = await getImage(deps, session, imageId);
  const variant = variantJson(input.variant);
  if (variant !== null) {
    const refusal = variantRefusal(image, deps) ?? (image.decodeFailedAt !== null ? UNDECODABLE : undefined);
    if (refusal) throw new CannotProcess(refusal);
  }
  const now = deps.clock().getTime();
  const id = newLinkId();
  const guard = ownedBy(session, imageId);
  const [, , rows, counted] = await deps.db.batch([
    expiredLinks(deps.db, imageId, now, guard),
    insertLink(
      deps.db,
      { id, imageId, ownerId: session.userId, variant, createdAt: now, expiresAt: now + input.expiresIn * 1000 },
      MAX_LINKS_PER_IMAGE,
      guard,
    ),
    linkById(deps.db, id),
    linkCount(deps.db, imageId),
  ]);
  const row = rows[0];
  if (row) return toLink(row);
  if ((counted[0]?.count ?? 0) >= MAX_LINKS_PER_IMAGE) {
    throw new Conflict(`This image has ${MAX_LINKS_PER_IMAGE} share links; revoke one first.`);
  }
  // The image went, or the session ended, between the two calls.
  throw noSuchImage();
}

/** One database call: the session check, the image's existence and its live links. */
export async function listLinks(deps: Pick<ServiceDeps, 'db' | 'clock'>, session: Session, imageId: number) {
  const now = deps.clock().getTime();
  const [sessionRows, found, rows] = await deps.db.batch([
    sessionRow(deps.db, session),
    imageExists(deps.db, session.userId, imageId),
    liveLinks(deps.db, session.userId, imageId, now),
  ]);
  checkSession(sessionRows, session);
  if (!found[0]) throw noSuchImage();
  return rows.map(toLink);
}

/** One guarded batch; the link is gone for every later fetch as soon as this returns. */
export async function revokeLink(deps: Pick<ServiceDeps, 'db'>, session: Session, imageId: number, linkId: string) {
  const guard = ownedBy(session, imageId);
  const [sessionRows, imageRows, linkRows] = await deps.db.batch([
    sessionRow(deps.db, session),
    imageById(deps.db, session.userId, imageId),
    linkById(deps.db, linkId),
    deleteLink(deps.db, imageId, linkId, guard),
  ]);
  checkSession(sessionRows, session);
  if (!imageRows[0]) throw noSuchImage();
  if (linkRows[0]?.imageId !== imageId) throw noSuchLink();
}

export interface SharedImage {
  image: ImageRecord;
  variant: VariantRequest;
  expiresAt: number;
}

/** One database call. Undefined for any link that is not live. */
export async function openSharedLink(
  deps: Pick<ServiceDeps, 'db' | 'clock'>,
  linkId: string,
): Promise<SharedImage | undefined> {
  const now = deps.clock().getTime();
  const [row] = await sharedImage(deps.db, linkId, now);
  if (!row) return undefined;
  const { linkExpiresAt, linkVariant, ...image } = row;
  return {
    image: toRecord(image),
    variant: linkVariant === null ? {} : (JSON.parse(linkVariant) as VariantRequest),
    expiresAt: linkExpiresAt,
  };
}
