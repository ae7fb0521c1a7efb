import { and, eq, sql } from 'drizzle-orm';
import type { Session } from '../auth/token';
import {
  ensureTags,
  type ImageRecord,
  imageById,
  imageIdByStorageKey,
  linkTags,
  listImages as listQuery,
  ownedBy,
  toRecord,
} from '../db/image-queries';
import { insertWhere } from '../db/insert-where';
import { images, imageTags, shareLinks } from '../db/schema';
import { mayWrite, type SessionRow } from '../db/session-queries';
import { addToUsage, imageStored, subtractFromUsage, type UsageRow, usageOf, withinQuota } from '../db/usage-queries';
import type { Deps } from '../deps';
import { sha256Hex } from '../formats/digest';
import { SNIFF_BYTES } from '../formats/sniff';
import type { ByteRange, StoredObject } from '../storage/image-store';
import { decodeCursor, encodeCursor } from './cursor';
import { ServiceError } from './errors';
import { assertFits, checkUploadQuota, quotaDefaults, storedUsage } from './quota';
import { checkSession, sessionQuery } from './session';
import { isControl } from './tag-rules';
import { isWellFormed, NOT_WELL_FORMED } from './text';
import type { TimeRange } from './time-filters';
import { UnavailableError } from './unavailable';
import { classifyUpload, type UploadPolicy } from './upload-policy';
import { storedVariantKeys } from './variants';

export type { ImageRecord };

type ImageDeps = Pick<Deps, 'db' | 'store' | 'clock' | 'logger' | 'config'>;

export const notFound = () => new ServiceError(404, 'No such image.');

export const MAX_NAME_LENGTH = 255;
/** Longest ending still treated as an extension worth keeping when a name is shortened. */
const MAX_KEPT_EXTENSION = 16;

/**
 * Display name only: path parts, control characters and excess length removed. Length counts
 * code points, so a cut never splits a character, and a long name keeps its extension.
 */
export function displayName(raw: string | undefined, extension: string): string {
  if (raw !== undefined && !isWellFormed(raw)) {
    throw new ServiceError(400, `The file name ${NOT_WELL_FORMED}.`, {
      errors: [{ name: 'image', in: 'body', message: `File name ${NOT_WELL_FORMED}` }],
    });
  }
  const base = (raw ?? '').split(/[\\/]/).pop() ?? '';
  const chars = [...base].filter((ch) => !isControl(ch.codePointAt(0) ?? 0));
  const clean = shorten(chars.join('').trim());
  return clean || `image.${extension}`;
}

function shorten(name: string): string {
  const chars = [...name];
  if (chars.length <= MAX_NAME_LENGTH) return name;
  const dot = name.lastIndexOf('.');
  const ext = dot > 0 ? [...name.slice(dot)] : [];
  const keep = ext.length > 1 && ext.length <= MAX_KEPT_EXTENSION ? ext : [];
  return (
    chars
      .slice(0, MAX_NAME_LENGTH - keep.length)
      .join('')
      .trimEnd() + keep.join('')
  );
}

export interface UploadInput {
  file: File;
  /** Already checked and de-duplicated (tag-rules). */
  tags: string[];
  /** What unrecognised bytes may become (upload-policy); strict unless the route says otherwise. */
  policy?: UploadPolicy;
}

/**
 * Stores the bytes first, then writes the rows in one batch; if the rows fail the bytes are
 * removed, so no row ever points at missing bytes and a 201 means both are stored.
 */
export async function uploadImage(deps: ImageDeps, session: Session, input: UploadInput): Promise<ImageRecord> {
  const { file, tags } = input;
  // Who is asking comes first (a revoked session hears 401 whatever it sent), with the quota
  // pre-check, before any byte is stored: one round trip.
  await checkUploadQuota(deps, session, file.size);
  if (file.size > deps.config.maxUploadBytes) {
    throw new ServiceError(413, `The image is ${file.size} bytes; the limit is ${deps.config.maxUploadBytes}.`);
  }
  if (file.size === 0) throw new ServiceError(400, 'The image file is empty.', { errors: [emptyImage] });
  const head = new Uint8Array(await file.slice(0, SNIFF_BYTES).arrayBuffer());
  const verdict = classifyUpload(head, input.policy ?? { kind: 'strict' });
  const name = displayName(file.name, verdict.extension);

  const sha256 = await sha256Hex(file);
  const storageKey = `images/${crypto.randomUUID()}`;
  await deps.store.put(storageKey, file, { contentType: verdict.contentType, size: file.size });

  const now = deps.clock().getTime();
  try {
    // Quota: the row is written only while the session may write and the image still fits
    // (racing uploads are judged one at a time inside their batches); everything after it in
    // the batch happens only if it was written.
    const stored = imageStored(storageKey);
    const insert = insertWhere(
      deps.db,
      images,
      {
        ownerId: session.userId,
        name,
        contentType: verdict.contentType,
        size: file.size,
        storageKey,
        sha256,
        width: verdict.verified ? (verdict.width ?? null) : null,
        height: verdict.verified ? (verdict.height ?? null) : null,
        verified: verdict.verified,
        createdAt: now,
      },
      sql`${mayWrite(session)} AND ${withinQuota(session.userId, file.size, quotaDefaults(deps.config))}`,
    ).returning();
    const results = await deps.db.batch([
      insert,
      ...(tags.length
        ? [
            ensureTags(deps.db, session.userId, tags, stored),
            linkTags(deps.db, session.userId, imageIdByStorageKey(storageKey), tags, stored),
          ]
        : []),
      addToUsage(deps.db, session.userId, file.size, storageKey),
      sessionQuery(deps.db, session),
      usageOf(deps.db, session.userId),
    ] as unknown as Parameters<typeof deps.db.batch>[0]);
    const [row] = results[0] as Awaited<typeof insert>;
    if (!row) {
      // Not written: the session ended meanwhile (401/403), or a racing upload took the room.
      checkSession(results.at(-2) as SessionRow[], session);
      const usage = storedUsage((results.at(-1) as UsageRow[])[0], deps.config);
      assertFits(usage, file.size);
      throw new Error('image insert returned no row');
    }
    return { ...row, tags };
  } catch (err) {
    // A batch that timed out may still commit: then its row needs these bytes. Housekeeping
    // removes them later if it did not.
    const mayCommit = err instanceof UnavailableError && err.dependency === 'database' && err.timedOut;
    if (!mayCommit) await deleteBytesQuietly(deps, [storageKey], 'upload rows failed');
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
  deps: Pick<Deps, 'db' | 'store' | 'logger'>,
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
    // Most often a delete won the race since the row was read: then it is simply gone.
    const [still] = await imageById(deps.db, image.ownerId, image.id);
    if (!still) throw notFound();
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
    // Before the row goes (it reads the size), under the same guard.
    subtractFromUsage(deps.db, session.userId, imageId, guard),
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
