import { batchAround, type Statement } from '../db/batch';
import { pageWithSession } from '../db/images/list-page';
import {
  deleteImageRow,
  type ImageRecord,
  imageById,
  ownedBy,
  storageKeyOf,
  toRecord,
  unlinkAllTags,
} from '../db/images/queries';
import { uploadRows } from '../db/images/upload-rows';
import { imageWithSession } from '../db/images/with-session';
import { deleteLinksOf } from '../db/link-queries';
import { sessionRow } from '../db/session-queries';
import { subtractFromUsage } from '../db/usage-queries';
import { deleteVariantRows } from '../db/variant-queries';
import type { Session } from '../lib/session';
import { UnavailableError } from '../lib/unavailable';
import type { ByteRange, StoredObject } from '../storage/image-store';
import { decodePageCursor, encodePageCursor } from './cursor';
import type { ServiceDeps } from './deps';
import { DuplicateImage, Inconsistent, InvalidInput, NotFound, TooLarge } from './errors';
import { assertFits, checkUploadQuota, quotaDefaults, storedUsage } from './quota';
import { checkSession } from './session';
import { isControl } from './tag-rules';
import { isWellFormed, NOT_WELL_FORMED } from './text';
import { computeThumbhash, THUMBHASH_UPLOAD_MAX_BYTES } from './thumbhash';
import type { TimeRange } from './time-filters';
import type { ReceivedImage } from './upload-stream';
import { storedVariantKeys } from './variants/identity';

export type { ImageRecord };

export const noSuchImage = () => new NotFound('No such image.');

export const MAX_NAME_LENGTH = 255;
/** Longest ending still treated as an extension worth keeping when a name is shortened. */
const MAX_KEPT_EXTENSION = 16;

/**
 * Display name only: path parts, control characters and excess length removed. Length counts
 * code points, so a cut never splits a character, and a long name keeps its extension.
 */
export function displayName(raw: string | undefined, extension: string): string {
  if (raw !== undefined && !isWellFormed(raw)) {
    throw new InvalidInput(`The file name ${NOT_WELL_FORMED}.`, [
      { name: 'image', in: 'body', message: `File name ${NOT_WELL_FORMED}` },
    ]);
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

/**
 * What an upload does when its owner already has an image with the same bytes (SHA-256):
 * `allow` stores another copy, `reject` refuses it (DuplicateImage, naming the existing one),
 * `return` answers the existing image and stores nothing. Only the uploader's own images count.
 */
export type OnDuplicate = 'allow' | 'reject' | 'return';
export const ON_DUPLICATE = ['allow', 'reject', 'return'] as const satisfies readonly OnDuplicate[];

export interface UploadInput {
  /** The image part, its bytes already streamed into the store (receiveImage). */
  file: ReceivedImage;
  /** Already checked and de-duplicated (tag-rules). */
  tags: string[];
  /** The largest size allowed: MAX_UPLOAD_BYTES unless said (an upload session has its own). */
  maxBytes?: number;
  /** Written in the same batch, only if the image row is (an upload session's completion). */
  alsoWrite?: Statement[];
  /** Default `allow`. */
  onDuplicate?: OnDuplicate;
}

/** A new image, or (`on_duplicate=return`) the owner's existing one with the same bytes. */
export interface UploadOutcome {
  image: ImageRecord;
  created: boolean;
}

/**
 * The bytes are stored first (streamed in by receiveImage), then the rows are written in one
 * batch; if anything here fails the bytes are removed, so no row ever points at missing bytes
 * and a 201 means both are stored.
 */
export async function uploadImage(
  deps: Pick<ServiceDeps, 'db' | 'store' | 'clock' | 'logger' | 'config' | 'transformer'>,
  session: Session,
  input: UploadInput,
): Promise<UploadOutcome> {
  const { file } = input;
  file.claimed = true;
  try {
    const outcome = await writeRows(deps, session, input);
    // An existing image answered instead: these bytes were never recorded, nor counted.
    if (!outcome.created && file.stored) await deleteBytesQuietly(deps, [file.stored.key], 'duplicate upload');
    return outcome;
  } catch (err) {
    // A batch that timed out may still commit: then its row needs these bytes. Housekeeping
    // removes them later if it did not.
    const mayCommit = err instanceof UnavailableError && err.dependencies.includes('database') && err.timedOut;
    if (file.stored && !mayCommit) await deleteBytesQuietly(deps, [file.stored.key], 'upload refused or rows failed');
    throw err;
  }
}

/**
 * Before an upload reads its body: the session check and whether one more image fits (its size
 * is not known yet), in one statement.
 */
export async function mayUpload(deps: Pick<ServiceDeps, 'db' | 'config'>, session: Session): Promise<void> {
  await checkUploadQuota(deps, session, 0);
}

/** Bytes of an upload that never reached uploadImage (the form failed validation). */
export async function discardReceived(deps: Pick<ServiceDeps, 'store' | 'logger'>, file: ReceivedImage): Promise<void> {
  if (file.stored && !file.claimed) await deleteBytesQuietly(deps, [file.stored.key], 'upload form refused');
}

/**
 * The owner's image with these bytes (the oldest, when there are several), or null; never
 * another user's. With the session check, in one statement.
 */
export async function findDuplicate(
  deps: Pick<ServiceDeps, 'db'>,
  session: Session,
  sha256: string,
): Promise<ImageRecord | null> {
  const page = await pageWithSession(deps.db, session, { tags: [], sha256, limit: 1 });
  checkSession(page.session, session);
  return page.items[0] ?? null;
}

/** `reject` refuses, `return` answers the existing image. */
function answerDuplicate(existing: ImageRecord, onDuplicate: OnDuplicate): UploadOutcome {
  if (onDuplicate === 'reject') throw new DuplicateImage(existing.id);
  return { image: existing, created: false };
}

async function writeRows(
  deps: Pick<ServiceDeps, 'db' | 'clock' | 'config' | 'store' | 'transformer' | 'logger'>,
  session: Session,
  { file, tags, maxBytes = deps.config.maxUploadBytes, alsoWrite = [], onDuplicate = 'allow' }: UploadInput,
): Promise<UploadOutcome> {
  // Who is asking and the image count were checked before the bytes streamed in (mayUpload);
  // the batch below judges session and quota again, exactly, with the size now known.
  if (file.size > maxBytes) throw new TooLarge(`The image is ${file.size} bytes; the limit is ${maxBytes}.`);
  if (file.size === 0) throw new InvalidInput('The image file is empty.', [emptyImage]);
  if (file.refusal) throw file.refusal;
  if (!file.stored) throw new Error('upload bytes were neither stored nor refused');
  const { key: storageKey, sha256, verdict } = file.stored;
  const name = displayName(file.filename, verdict.extension);
  const unique = onDuplicate !== 'allow';
  // Checked before the placeholder is made, so a duplicate costs no decode; a racing upload
  // of the same bytes is caught by the insert itself (insertImage `unique`).
  if (unique) {
    const existing = await findDuplicate(deps, session, sha256);
    if (existing) return answerDuplicate(existing, onDuplicate);
  }
  const width = verdict.verified ? (verdict.width ?? null) : null;
  const height = verdict.verified ? (verdict.height ?? null) : null;
  const thumbhash = await computeThumbhash(
    deps,
    { storageKey, contentType: verdict.contentType, width, height, verified: verdict.verified, size: file.size },
    { maxBytes: THUMBHASH_UPLOAD_MAX_BYTES },
  );

  const now = deps.clock().getTime();
  // Quota: the row is written only while the session may write and the image still fits
  // (racing uploads are judged one at a time inside their batches); everything after it in
  // the batch happens only if it was written.
  const rows = uploadRows(
    deps.db,
    session,
    {
      name,
      contentType: verdict.contentType,
      size: file.size,
      storageKey,
      sha256,
      width,
      height,
      verified: verdict.verified,
      createdAt: now,
      thumbhash,
    },
    tags,
    quotaDefaults(deps.config),
    unique,
  );
  const writes = [...rows.writes, ...alsoWrite];
  const [[inserted], [sessionRows, usageRows, duplicates]] = await batchAround(deps.db, [rows.insert], writes, [
    rows.session,
    rows.usage,
    ...(rows.duplicate ? [rows.duplicate] : []),
  ]);
  const [row] = inserted;
  if (!row) {
    // Not written: the session ended meanwhile (401/403), a racing upload of the same bytes won
    // (`unique`), or a racing upload took the room.
    checkSession(sessionRows, session);
    const existing = duplicates?.[0];
    if (existing) return answerDuplicate(toRecord(existing), onDuplicate);
    assertFits(storedUsage(usageRows[0], deps.config), file.size);
    throw new Error('image insert returned no row');
  }
  return { image: { ...row, tags }, created: true };
}

const emptyImage = { name: 'image', in: 'body' as const, message: 'The image file is empty' };

async function deleteBytesQuietly(
  deps: Pick<ServiceDeps, 'store' | 'logger'>,
  keys: string[],
  why: string,
): Promise<void> {
  try {
    await deps.store.delete(keys);
  } catch (err) {
    // Housekeeping sweeps bytes no row points at; nothing the user sees depends on these.
    deps.logger.warn('could not delete stored bytes', { keys, why, error: String(err) });
  }
}

/** One database statement: the session check and the image with its tags. */
export async function getImage(deps: Pick<ServiceDeps, 'db'>, session: Session, imageId: number): Promise<ImageRecord> {
  const found = await imageWithSession(deps.db, session, imageId);
  checkSession(found.session, session);
  if (!found.image) throw noSuchImage();
  return toRecord(found.image);
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
  deps: Pick<ServiceDeps, 'db' | 'store' | 'logger'>,
  image: ImageRecord,
  ask: {
    notModified?: (etag: string) => boolean;
    range?: (size: number, etag: string) => ByteRange | 'unsatisfiable' | undefined;
  },
): Promise<ImageFile> {
  const etag = imageEtag(image);
  if (ask.notModified?.(etag)) return { kind: 'not-modified', image };
  const range = ask.range?.(image.size, etag);
  if (range === 'unsatisfiable') return { kind: 'unsatisfiable', image };
  const object = await deps.store.get(image.storageKey, range);
  if (!object) {
    // Most often a delete won the race since the row was read: then it is simply gone.
    const [still] = await imageById(deps.db, image.ownerId, image.id);
    if (!still) throw noSuchImage();
    deps.logger.error('image row points at missing bytes', { image_id: image.id, key: image.storageKey });
    throw new Inconsistent('The image bytes are unavailable.');
  }
  return { kind: 'bytes', image, object };
}

export const imageEtag = (image: Pick<ImageRecord, 'sha256'>) => `"${image.sha256}"`;

/** Rows first (one guarded batch), then bytes: a failure leaves at worst unreferenced bytes. */
export async function deleteImage(
  deps: Pick<ServiceDeps, 'db' | 'store' | 'logger'>,
  session: Session,
  imageId: number,
) {
  const guard = ownedBy(session, imageId);
  const [sessionRows, found] = await deps.db.batch([
    sessionRow(deps.db, session),
    storageKeyOf(deps.db, imageId, guard),
    // Explicit rather than relying on ON DELETE CASCADE, which SQLite enforces only per connection setting.
    unlinkAllTags(deps.db, imageId, guard),
    // Before the row goes (it reads the size), under the same guard.
    subtractFromUsage(deps.db, session.userId, imageId, guard),
    deleteLinksOf(deps.db, imageId, guard),
    // A variant still being made sees its reservation gone and deletes its own bytes.
    deleteVariantRows(deps.db, imageId, guard),
    deleteImageRow(deps.db, imageId, guard),
  ]);
  checkSession(sessionRows, session);
  const row = found[0];
  if (!row) throw noSuchImage();
  await deleteBytesQuietly(deps, [row.key], 'image deleted');
  await deleteVariantsQuietly(deps, row.key);
}

/** Variants go with their image; any left behind (a failed list or delete) are swept as orphans. */
async function deleteVariantsQuietly(deps: Pick<ServiceDeps, 'store' | 'logger'>, storageKey: string): Promise<void> {
  try {
    const keys = await storedVariantKeys(deps.store, storageKey);
    if (keys.length) await deleteBytesQuietly(deps, keys, 'image deleted: its variants');
  } catch (err) {
    deps.logger.warn('could not list the variants of a deleted image', { key: storageKey, error: String(err) });
  }
}

export interface ListInput extends TimeRange {
  tags: string[];
  /** Only images with these bytes (lowercase hex). */
  sha256?: string;
  limit: number;
  cursor?: string;
}

export interface ImagePage {
  items: ImageRecord[];
  nextCursor: string | null;
}

/** One database statement for any page: the session check and the page with its tags. */
export async function listImages(
  deps: Pick<ServiceDeps, 'db'>,
  session: Session,
  input: ListInput,
): Promise<ImagePage> {
  const before = input.cursor === undefined ? undefined : decodePageCursor(input.cursor);
  if (input.cursor !== undefined && !before) {
    throw new InvalidInput('The cursor is not one this server issued.', [
      { name: 'cursor', in: 'query', message: 'Invalid cursor' },
    ]);
  }
  const page = await pageWithSession(deps.db, session, {
    tags: [...new Set(input.tags)],
    from: input.from,
    until: input.until,
    ...(input.sha256 !== undefined ? { sha256: input.sha256 } : {}),
    before,
    // One more than asked: whether there is a next page.
    limit: input.limit + 1,
  });
  checkSession(page.session, session);
  // A full page's extra item says more follow; a tag-filtered page that stopped scanning says so
  // itself (it may be short, even empty, and still have a next page).
  const more = page.items.length > input.limit;
  const items = more ? page.items.slice(0, input.limit) : page.items;
  const last = items.at(-1);
  const next = more && last ? { createdAt: last.createdAt, id: last.id } : page.resume;
  return { items, nextCursor: next ? encodePageCursor(next) : null };
}

/** Rows per statement when the legacy list pages through every image of a user. */
export const LEGACY_LIST_PAGE_ROWS = 250;

/**
 * Every image matching `input`, newest first, as pages of at most `pageRows` (the legacy list,
 * which answers all of them). The first page comes with the session check, before anything is
 * sent, so a refused session still answers 401; later pages are read as the caller asks for
 * them, by keyset on (created_at, id) — the v1 list's index and order — so memory stays bounded
 * and a row deleted meanwhile can only be missing, never repeated. Not a snapshot: an image
 * deleted after its page was read is still in the answer, one uploaded meanwhile is not (it is
 * newer than the first page). Each page is one statement (db/images/list-page).
 */
export async function listAllImages(
  deps: Pick<ServiceDeps, 'db'>,
  session: Session,
  input: TimeRange & { tags: string[] },
  pageRows = LEGACY_LIST_PAGE_ROWS,
): Promise<AsyncGenerator<ImageRecord[], void, undefined>> {
  const filter = { tags: [...new Set(input.tags)], from: input.from, until: input.until, limit: pageRows };
  const first = await pageWithSession(deps.db, session, filter);
  checkSession(first.session, session);
  return (async function* pages() {
    let page = first;
    for (;;) {
      yield page.items;
      if (!page.resume) return;
      // On Node and Bun the driver is synchronous and each page's promise is already settled:
      // without this, every page of the list would run in one turn of the event loop.
      await yieldToEventLoop();
      // The session was checked with the first page; later ones only read.
      page = await pageWithSession(deps.db, session, { ...filter, before: page.resume }, true);
    }
  })();
}

/** Lets other requests' I/O run (a macrotask), where the runtime has setImmediate. */
const yieldToEventLoop = (): Promise<void> =>
  typeof setImmediate === 'function' ? new Promise((resolve) => setImmediate(resolve)) : Promise.resolve();
