import { and, eq } from 'drizzle-orm';
import type { Session } from '../auth/token';
import {
  ensureTags,
  type ImageRecord,
  imageById,
  imageIdByStorageKey,
  linkTags,
  listImages as listQuery,
  ownedBy,
  referencedKeys,
  toRecord,
} from '../db/image-queries';
import { images, imageTags, shareLinks } from '../db/schema';
import type { Deps } from '../deps';
import { sha256Hex } from '../images/digest';
import { looksLikeSvg, SNIFF_BYTES, sniffImage } from '../images/sniff';
import type { ByteRange, StoredObject } from '../storage/image-store';
import { decodeCursor, encodeCursor } from './cursor';
import { ServiceError } from './errors';
import { checkSession, currentUser, sessionQuery } from './session';
import { isControl } from './tag-rules';
import type { TimeRange } from './time-filters';
import { imageKeyOfVariant, storedVariantKeys } from './variants';

export type { ImageRecord };

type ImageDeps = Pick<Deps, 'db' | 'store' | 'clock' | 'logger' | 'config'>;

export const notFound = () => new ServiceError(404, 'No such image.');

/** Display name only: path parts, control characters and excess length removed. */
export function displayName(raw: string | undefined, extension: string): string {
  const base = (raw ?? '').split(/[\\/]/).pop() ?? '';
  const clean = [...base]
    .filter((ch) => !isControl(ch.codePointAt(0) ?? 0))
    .join('')
    .trim()
    .slice(0, 255);
  return clean || `image.${extension}`;
}

export interface UploadInput {
  file: File;
  /** Already checked and de-duplicated (tag-rules). */
  tags: string[];
}

/**
 * Stores the bytes first, then writes the rows in one batch; if the rows fail the bytes are
 * removed, so no row ever points at missing bytes and a 201 means both are stored.
 */
export async function uploadImage(deps: ImageDeps, session: Session, input: UploadInput): Promise<ImageRecord> {
  const { file, tags } = input;
  if (file.size > deps.config.maxUploadBytes) {
    throw new ServiceError(413, `The image is ${file.size} bytes; the limit is ${deps.config.maxUploadBytes}.`);
  }
  if (file.size === 0) throw new ServiceError(400, 'The image file is empty.', { errors: [emptyImage] });
  const head = new Uint8Array(await file.slice(0, SNIFF_BYTES).arrayBuffer());
  const sniffed = sniffImage(head);
  if (!sniffed) {
    throw new ServiceError(
      415,
      looksLikeSvg(head)
        ? 'SVG is not accepted (it can carry scripts). Upload PNG, JPEG, GIF, WebP, AVIF, BMP or TIFF.'
        : 'The file is not a supported image. Upload PNG, JPEG, GIF, WebP, AVIF, BMP or TIFF.',
    );
  }
  await currentUser(deps.db, session);

  const sha256 = await sha256Hex(file);
  const storageKey = `images/${crypto.randomUUID()}`;
  await deps.store.put(storageKey, file, { contentType: sniffed.contentType, size: file.size });

  const now = deps.clock().getTime();
  try {
    const insert = deps.db
      .insert(images)
      .values({
        ownerId: session.userId,
        name: displayName(file.name, sniffed.extension),
        contentType: sniffed.contentType,
        size: file.size,
        storageKey,
        sha256,
        width: sniffed.width ?? null,
        height: sniffed.height ?? null,
        createdAt: now,
      })
      .returning();
    const [[row]] = tags.length
      ? await deps.db.batch([
          insert,
          ensureTags(deps.db, session.userId, tags),
          linkTags(deps.db, session.userId, imageIdByStorageKey(storageKey), tags),
        ])
      : await deps.db.batch([insert]);
    if (!row) throw new Error('image insert returned no row');
    return { ...row, tags };
  } catch (err) {
    await deleteBytesQuietly(deps, [storageKey], 'upload rows failed');
    throw err;
  }
}

const emptyImage = { name: 'image', in: 'body' as const, message: 'The image file is empty' };

async function deleteBytesQuietly(deps: Pick<Deps, 'store' | 'logger'>, keys: string[], why: string): Promise<void> {
  try {
    await deps.store.delete(keys);
  } catch (err) {
    // Housekeeping sweeps bytes no row points at; nothing the user sees depends on these.
    deps.logger.warn('could not delete stored bytes', { keys, why, error: String(err) });
  }
}

/** One database call: the session check and the image with its tags. */
export async function getImage(deps: Pick<Deps, 'db'>, session: Session, imageId: number): Promise<ImageRecord> {
  const [sessionRows, rows] = await deps.db.batch([
    sessionQuery(deps.db, session),
    imageById(deps.db, session.userId, imageId),
  ]);
  checkSession(sessionRows, session);
  const row = rows[0];
  if (!row) throw notFound();
  return toRecord(row);
}

export type ImageFile =
  | { kind: 'not-modified'; image: ImageRecord }
  | { kind: 'unsatisfiable'; image: ImageRecord }
  | { kind: 'bytes'; image: ImageRecord; object: StoredObject };

/**
 * The bytes of an image, or a range of them. The entity tag is the content hash, so a
 * matching `If-None-Match` or an unsatisfiable range is answered without touching the store.
 */
export async function openImageFile(
  deps: Pick<Deps, 'store' | 'logger'>,
  image: ImageRecord,
  ask: {
    notModified?: (etag: string) => boolean;
    range?: (size: number, etag: string) => ByteRange | 'unsatisfiable' | undefined;
  },
): Promise<ImageFile> {
  const etag = etagOf(image);
  if (ask.notModified?.(etag)) return { kind: 'not-modified', image };
  const range = ask.range?.(image.size, etag);
  if (range === 'unsatisfiable') return { kind: 'unsatisfiable', image };
  const object = await deps.store.get(image.storageKey, range);
  if (!object) {
    deps.logger.error('image row points at missing bytes', { image_id: image.id, key: image.storageKey });
    throw new ServiceError(500, 'The image bytes are unavailable.');
  }
  return { kind: 'bytes', image, object };
}

export const etagOf = (image: Pick<ImageRecord, 'sha256'>) => `"${image.sha256}"`;

/** Rows first (one guarded batch), then bytes: a failure leaves at worst unreferenced bytes. */
export async function deleteImage(deps: Pick<Deps, 'db' | 'store' | 'logger'>, session: Session, imageId: number) {
  const guard = ownedBy(session, imageId);
  const [sessionRows, found] = await deps.db.batch([
    sessionQuery(deps.db, session),
    deps.db
      .select({ key: images.storageKey })
      .from(images)
      .where(and(eq(images.id, imageId), guard)),
    // Explicit rather than relying on ON DELETE CASCADE, which SQLite enforces only per connection setting.
    deps.db.delete(imageTags).where(and(eq(imageTags.imageId, imageId), guard)),
    // Its share links die with it, in the same batch: no link outlives its image.
    deps.db.delete(shareLinks).where(and(eq(shareLinks.imageId, imageId), guard)),
    deps.db.delete(images).where(and(eq(images.id, imageId), guard)),
  ]);
  checkSession(sessionRows, session);
  const row = found[0];
  if (!row) throw notFound();
  await deleteBytesQuietly(deps, [row.key], 'image deleted');
  await deleteVariantsQuietly(deps, row.key);
}

/** Variants go with their image; any left behind (a failed list or delete) are swept as orphans. */
async function deleteVariantsQuietly(deps: Pick<Deps, 'store' | 'logger'>, storageKey: string): Promise<void> {
  try {
    const keys = await storedVariantKeys(deps.store, storageKey);
    if (keys.length) await deleteBytesQuietly(deps, keys, 'image deleted: its variants');
  } catch (err) {
    deps.logger.warn('could not list the variants of a deleted image', { key: storageKey, error: String(err) });
  }
}

export interface ListInput extends TimeRange {
  tags: string[];
  /** Undefined: every image (legacy list). */
  limit?: number;
  cursor?: string;
}

export interface ImagePage {
  items: ImageRecord[];
  nextCursor: string | null;
}

/** One database call for any page: the session check and the page with its tags. */
export async function listImages(deps: Pick<Deps, 'db'>, session: Session, input: ListInput): Promise<ImagePage> {
  const before = input.cursor === undefined ? undefined : decodeCursor(input.cursor);
  if (input.cursor !== undefined && !before) {
    throw new ServiceError(400, 'The cursor is not one this server issued.', {
      errors: [{ name: 'cursor', in: 'query', message: 'Invalid cursor' }],
    });
  }
  const [sessionRows, rows] = await deps.db.batch([
    sessionQuery(deps.db, session),
    listQuery(deps.db, {
      ownerId: session.userId,
      tags: [...new Set(input.tags)],
      from: input.from,
      until: input.until,
      before,
      limit: input.limit === undefined ? undefined : input.limit + 1,
    }),
  ]);
  checkSession(sessionRows, session);
  const more = input.limit !== undefined && rows.length > input.limit;
  const items = (more ? rows.slice(0, input.limit) : rows).map(toRecord);
  const last = items.at(-1);
  return { items, nextCursor: more && last ? encodeCursor({ createdAt: last.createdAt, id: last.id }) : null };
}

/** Removes stored bytes (originals and variants) that no row points at and that are older than `graceMs` (uploads in flight). */
export async function sweepOrphanBytes(
  deps: Pick<Deps, 'db' | 'store' | 'clock' | 'logger'>,
  graceMs = 60 * 60 * 1000,
): Promise<{ scanned: number; deleted: number }> {
  const cutoff = deps.clock().getTime() - graceMs;
  let cursor: string | undefined;
  let scanned = 0;
  let deleted = 0;
  do {
    const page = await deps.store.list({ cursor, limit: 500 });
    scanned += page.objects.length;
    const old = page.objects.filter((o) => o.uploaded.getTime() < cutoff).map((o) => o.key);
    if (old.length) {
      // A variant belongs to the image whose storage key it is filed under.
      const owner = (key: string) => imageKeyOfVariant(key) ?? key;
      const kept = new Set((await referencedKeys(deps.db, [...new Set(old.map(owner))])).map((r) => r.key));
      const orphans = old.filter((k) => !kept.has(owner(k)));
      if (orphans.length) {
        await deps.store.delete(orphans);
        deleted += orphans.length;
      }
    }
    cursor = page.cursor;
  } while (cursor);
  if (deleted) deps.logger.info('swept orphan image bytes', { scanned, deleted });
  return { scanned, deleted };
}
