/**
 * Upload sessions (`/api/v1/uploads`): an upload declared up front (name, type, size, optionally
 * its SHA-256), sent in parts (in any order, resent as often as needed), and made an image by
 * completing it. Completion judges the stored bytes, not what was declared: every part there,
 * the total size, the hash, the type sniffed from a range read of the head, and the quota, in
 * the same write path as a single-request upload (services/images uploadImage). A refusal
 * removes the bytes. The session row stays until it expires, so a second complete answers the
 * same image; housekeeping aborts sessions that expired open and removes their parts.
 */
import { newId } from '../auth/derived-key';
import { partToken } from '../auth/upload-part-token';
import type { UploadPartRow, UploadSessionRow } from '../db/schema';
import {
  claimForCompletion,
  deleteUploadSession,
  expiredUploadSessions,
  insertUploadSession,
  keyHasImage,
  markCompleted,
  markCompletedAs,
  markRefused,
  openSessionBytes,
  ownUploadSession,
  partsOf,
  recordPart,
  reopen,
  uploadSessionById,
} from '../db/upload-session-queries';
import { sha256 } from '../formats/digest';
import { SNIFF_BYTES } from '../formats/sniff';
import type { Session } from '../lib/session';
import { COMPLETION_WAIT_MS, MAX_UPLOAD_PARTS, UPLOAD_PART_TOKEN_SECONDS } from '../limits';
import type { ImageStore, UploadedPart } from '../storage/image-store';
import type { ServiceDeps as Deps } from './deps';
import { CannotProcess, Conflict, DomainError, NotFound, TooLarge, UnsupportedFormat } from './errors';
import { getImage, type ImageRecord, type OnDuplicate, uploadImage } from './images';
import { checkUploadQuota } from './quota';
import { verifySession } from './session';
import { classifyUpload, declaredRasterType } from './upload-policy';

type SessionDeps = Pick<Deps, 'db' | 'store' | 'clock' | 'logger' | 'config' | 'transformer'>;

export interface NewUpload {
  fileName: string;
  contentType: string;
  size: number;
  sha256?: string;
  tags: string[];
}

/** Where and how to send one part. */
export interface PartTarget {
  number: number;
  size: number;
  url: string;
  method: 'PUT';
  headers: Record<string, string>;
}

export interface UploadSessionView {
  session: UploadSessionRow;
  received: Pick<UploadPartRow, 'number' | 'size' | 'receivedAt'>[];
  /** The parts still to send, each with a fresh URL; none once the session is past `open`. */
  missing: PartTarget[];
}

const noSuchUpload = () => new NotFound('No such upload session (it may have expired).');

/** Bytes per part: the setting, raised to what the store requires, and so that parts ≤ MAX_UPLOAD_PARTS. */
export function partSizeFor(deps: Pick<Deps, 'config' | 'store'>, size: number): number {
  const wanted = Math.max(deps.config.uploadPartBytes, deps.store.minPartBytes);
  return Math.max(wanted, Math.ceil(size / MAX_UPLOAD_PARTS));
}

/** The exact length of part `n` of a session (all equal but the last), or undefined past the last. */
export function partLength(row: Pick<UploadSessionRow, 'size' | 'partSize' | 'partCount'>, n: number) {
  if (!Number.isSafeInteger(n) || n < 1 || n > row.partCount) return undefined;
  return n < row.partCount ? row.partSize : row.size - row.partSize * (row.partCount - 1);
}

export const partPath = (uploadId: string, n: number) => `/api/v1/uploads/${uploadId}/parts/${n}`;

async function partTarget(deps: SessionDeps, secret: string, row: UploadSessionRow, n: number): Promise<PartTarget> {
  const size = partLength(row, n) as number;
  const now = deps.clock().getTime();
  const expiresAt = Math.min(row.expiresAt, now + UPLOAD_PART_TOKEN_SECONDS * 1000);
  if (deps.store.presignPart && row.multipartId) {
    const signed = await deps.store.presignPart(row.storageKey, {
      uploadId: row.multipartId,
      partNumber: n,
      size,
      expiresInSeconds: Math.max(1, Math.floor((expiresAt - now) / 1000)),
    });
    return { number: n, size, ...signed };
  }
  const token = await partToken(secret, { uploadId: row.id, partNumber: n, size }, expiresAt);
  return {
    number: n,
    size,
    url: `${partPath(row.id, n)}?token=${token}`,
    method: 'PUT',
    headers: { 'Content-Type': 'application/octet-stream' },
  };
}

/**
 * The parts received so far. Presigned parts went straight to the store, so the store says which
 * it holds; one of the wrong length counts as missing (the client sends it again, which replaces
 * it). Parts the app received were recorded as they came.
 */
async function receivedParts(deps: SessionDeps, row: UploadSessionRow): Promise<UploadPartRow[]> {
  if (!(deps.store.presignPart && deps.store.listParts && row.multipartId)) return partsOf(deps.db, row.id);
  const held = await deps.store.listParts(row.storageKey, row.multipartId);
  return held
    .filter((p) => partLength(row, p.number) === p.size)
    .map((p) => ({ uploadId: row.id, number: p.number, size: p.size, etag: p.etag, receivedAt: p.uploaded.getTime() }))
    .sort((a, b) => a.number - b.number);
}

async function missingParts(deps: SessionDeps, secret: string, row: UploadSessionRow, received: Set<number>) {
  if (row.state !== 'open') return [];
  const out: PartTarget[] = [];
  for (let n = 1; n <= row.partCount; n++) if (!received.has(n)) out.push(await partTarget(deps, secret, row, n));
  return out;
}

/** Begins a session: checks the declared type, size and quota, then opens a multipart upload in the store. */
export async function createUploadSession(
  deps: SessionDeps,
  session: Session,
  secret: string,
  input: NewUpload,
): Promise<UploadSessionView> {
  const contentType = declaredRasterType(input.contentType);
  if (!contentType) {
    throw new UnsupportedFormat(
      `Upload sessions take PNG, JPEG, GIF, WebP, AVIF, BMP or TIFF; \`${input.contentType.slice(0, 100)}\` is none of them.`,
    );
  }
  const max = deps.config.maxSessionUploadBytes;
  if (input.size > max) throw new TooLarge(`The upload is ${input.size} bytes; the limit is ${max}.`);
  // Against the declared size now, so a client learns before sending, with the sizes the user's
  // open sessions declared: parts held for them take room too, and sessions cannot be stacked
  // past the quota. Completion judges the stored bytes again, exactly (stored images only).
  const pending = await openSessionBytes(deps.db, session.userId, deps.clock().getTime());
  await checkUploadQuota(deps, session, input.size + pending);

  const partSize = partSizeFor(deps, input.size);
  const partCount = Math.max(1, Math.ceil(input.size / partSize));
  const storageKey = `images/${crypto.randomUUID()}`;
  const { uploadId } = await deps.store.createMultipart(storageKey, { contentType });
  const now = deps.clock().getTime();
  const row: UploadSessionRow = {
    id: newId(),
    userId: session.userId,
    fileName: input.fileName,
    contentType,
    size: input.size,
    sha256: input.sha256?.toLowerCase() ?? null,
    tags: JSON.stringify(input.tags),
    partSize,
    partCount,
    storageKey,
    multipartId: uploadId,
    state: 'open',
    refusal: null,
    imageId: null,
    expiresAt: now + deps.config.uploadSessionTtlMs,
    createdAt: now,
    updatedAt: now,
  };
  try {
    await insertUploadSession(deps.db, row);
  } catch (err) {
    await abortQuietly(deps, row);
    throw err;
  }
  return { session: row, received: [], missing: await missingParts(deps, secret, row, new Set()) };
}

async function ownOpenable(deps: SessionDeps, session: Session, id: string): Promise<UploadSessionRow> {
  await verifySession(deps, session);
  const row = await ownUploadSession(deps.db, session.userId, id);
  if (!row || isExpired(deps, row)) throw noSuchUpload();
  return row;
}

const isExpired = (deps: Pick<Deps, 'clock'>, row: UploadSessionRow) =>
  row.state !== 'completed' && row.expiresAt <= deps.clock().getTime();

/** The session's state, the parts received, and fresh URLs for the ones still missing. */
export async function getUploadSession(
  deps: SessionDeps,
  session: Session,
  secret: string,
  id: string,
): Promise<UploadSessionView> {
  const row = await ownOpenable(deps, session, id);
  const received = row.state === 'open' ? await receivedParts(deps, row) : await partsOf(deps.db, row.id);
  const numbers = new Set(received.map((p) => p.number));
  return { session: row, received, missing: await missingParts(deps, secret, row, numbers) };
}

/**
 * Stores one part the app serves, once its token was checked (the route does that, before a
 * byte is read): `body` must be exactly the part's length. A part sent again replaces the one
 * before; a body that fails midway keeps nothing of this attempt.
 */
export async function receivePart(
  deps: SessionDeps,
  row: UploadSessionRow,
  partNumber: number,
  body: ReadableStream<Uint8Array>,
  sourceError: () => unknown,
): Promise<UploadPartRow> {
  const size = partLength(row, partNumber) as number;
  if (!row.multipartId) throw new Conflict('This upload takes its parts at the store’s own URLs.');
  let part: UploadedPart;
  try {
    part = await deps.store.putPart(row.storageKey, body, { uploadId: row.multipartId, partNumber, size });
  } catch (err) {
    // The store saw the body fail: the reason is the client's (cut short, too long, too slow).
    throw sourceError() ?? err;
  }
  const received: UploadPartRow = {
    uploadId: row.id,
    number: partNumber,
    size,
    etag: part.etag,
    receivedAt: deps.clock().getTime(),
  };
  const written = await recordPart(deps.db, received);
  if (!written.length) throw new Conflict('The upload is no longer open for parts.');
  return received;
}

/** The session a part token names, if it may still take parts. */
export async function sessionForPart(deps: SessionDeps, id: string, partNumber: number): Promise<UploadSessionRow> {
  const row = await uploadSessionById(deps.db, id);
  if (!row || isExpired(deps, row) || partLength(row, partNumber) === undefined) throw noSuchUpload();
  if (row.state !== 'open') throw new Conflict(`The upload is ${row.state}: it takes no more parts.`);
  return row;
}

/** Aborts: the parts (or bytes) go, and so does the session. An image already made stays. */
export async function abortUploadSession(deps: SessionDeps, session: Session, id: string): Promise<void> {
  const row = await ownOpenable(deps, session, id);
  if (row.state === 'completing') throw new Conflict('The upload is being completed; it cannot be aborted now.');
  if (row.state === 'open') await abortQuietly(deps, row);
  await deleteUploadSession(deps.db, row.id);
}

async function abortQuietly(deps: Pick<Deps, 'store' | 'logger'>, row: UploadSessionRow): Promise<void> {
  if (!row.multipartId) return;
  try {
    await deps.store.abortMultipart(row.storageKey, row.multipartId);
  } catch (err) {
    deps.logger.warn('could not abort a multipart upload', { upload_id: row.id, error: String(err) });
  }
}

async function deleteQuietly(deps: Pick<Deps, 'store' | 'logger'>, key: string): Promise<void> {
  try {
    await deps.store.delete([key]);
  } catch (err) {
    deps.logger.warn('could not delete refused upload bytes', { key, error: String(err) });
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Makes the session an image. `created` is false when it already was one (a repeated or racing
 * complete): the same image either way. Of racing completes one does the work; the others wait
 * for it (up to COMPLETION_WAIT_MS, then 409) and answer what it made.
 */
export async function completeUploadSession(
  deps: SessionDeps,
  session: Session,
  id: string,
  onDuplicate: OnDuplicate = 'allow',
): Promise<{ image: ImageRecord; created: boolean }> {
  const waitUntil = Date.now() + COMPLETION_WAIT_MS;
  for (;;) {
    const row = await ownOpenable(deps, session, id);
    if (row.state === 'completed' && row.imageId !== null) {
      return { image: await getImage(deps, session, row.imageId), created: false };
    }
    if (row.state === 'refused') throw new Conflict(`The upload was refused: ${row.refusal ?? ''} Start a new one.`);
    if (row.state === 'open') {
      const now = deps.clock().getTime();
      const [claimed] = await claimForCompletion(deps.db, session.userId, row.id, now);
      if (claimed) return complete(deps, session, row, onDuplicate);
      continue;
    }
    if (Date.now() >= waitUntil) throw new Conflict('The upload is still being completed: ask again shortly.');
    await sleep(100);
  }
}

/** The work of completion, for the one request that claimed the session. */
async function complete(
  deps: SessionDeps,
  session: Session,
  row: UploadSessionRow,
  onDuplicate: OnDuplicate,
): Promise<{ image: ImageRecord; created: boolean }> {
  const parts = await receivedParts(deps, row);
  const have = new Set(parts.map((p) => p.number));
  const missing: number[] = [];
  for (let n = 1; n <= row.partCount; n++) if (!have.has(n)) missing.push(n);
  if (missing.length) {
    // Nothing was refused: the client sends what is missing and completes again.
    await reopen(deps.db, row.id, deps.clock().getTime());
    throw new Conflict(
      `Parts not received yet: ${missing.slice(0, 20).join(', ')}${missing.length > 20 ? ', …' : ''}.`,
    );
  }
  let assembled = false;
  try {
    if (!row.multipartId) throw new Error('an upload session without a multipart upload');
    const stored = await deps.store.completeMultipart(
      row.storageKey,
      row.multipartId,
      parts.map((p) => ({ number: p.number, etag: p.etag })),
      row.size,
    );
    assembled = true;
    if (stored.size !== row.size) {
      throw new CannotProcess(`The parts hold ${stored.size} bytes; the upload declared ${row.size}.`);
    }
    const verdict = classifyUpload(await readHead(deps.store, row.storageKey), { kind: 'strict' });
    const digest = await hashOf(deps.store, row.storageKey);
    if (row.sha256 !== null && digest !== row.sha256) {
      throw new CannotProcess(`The bytes' SHA-256 is ${digest}; the upload declared ${row.sha256}.`);
    }
    const outcome = await uploadImage(deps, session, {
      file: {
        filename: row.fileName,
        size: stored.size,
        stored: { key: row.storageKey, sha256: digest, verdict },
        claimed: false,
      },
      tags: JSON.parse(row.tags) as string[],
      maxBytes: deps.config.maxSessionUploadBytes,
      alsoWrite: [markCompleted(deps.db, row.id, row.storageKey, deps.clock().getTime())],
      onDuplicate,
    });
    // `return` found the user's image with these bytes: uploadImage removed the new copy, and the
    // session stands for the image it answered, so a repeated complete answers it again.
    if (!outcome.created) await markCompletedAs(deps.db, row.id, outcome.image.id, deps.clock().getTime());
    return outcome;
  } catch (err) {
    const now = deps.clock().getTime();
    if (!assembled && !(err instanceof DomainError)) {
      // The store could not assemble the parts (unavailable, say): they are still there.
      await reopen(deps.db, row.id, now).catch(() => {});
      throw err;
    }
    if (assembled) await deleteQuietly(deps, row.storageKey);
    else await abortQuietly(deps, row);
    const why = err instanceof DomainError ? err.detail : 'The stored bytes could not be made an image.';
    await markRefused(deps.db, row.id, why, now).catch(() => {});
    throw err;
  }
}

/** The first SNIFF_BYTES of the object, by a range read. */
async function readHead(store: ImageStore, key: string): Promise<Uint8Array> {
  const object = await store.get(key, { offset: 0, length: SNIFF_BYTES });
  if (!object) throw new Error(`assembled upload ${key} is missing`);
  if (object.bytes) return object.bytes;
  return new Uint8Array(await new Response(object.body).arrayBuffer());
}

/** SHA-256 of the object, read as a stream. */
async function hashOf(store: ImageStore, key: string): Promise<string> {
  const object = await store.get(key);
  if (!object) throw new Error(`assembled upload ${key} is missing`);
  const hash = sha256();
  const reader = object.body.getReader();
  for (let r = await reader.read(); !r.done; r = await reader.read()) await hash.update(r.value);
  return hash.hex();
}

/** Sessions per housekeeping run. */
export const EXPIRE_SESSIONS_PER_RUN = 100;
/** A completion still at work this long after the session expired is taken to have stopped. */
const COMPLETING_GRACE_MS = 60 * 60 * 1000;

/**
 * Housekeeping: sessions past their expiry are aborted (their parts removed, and bytes a stopped
 * completion assembled but never made an image) and their rows deleted.
 */
export async function expireUploadSessions(
  deps: Pick<Deps, 'db' | 'store' | 'clock' | 'logger'>,
  limit = EXPIRE_SESSIONS_PER_RUN,
): Promise<number> {
  const now = deps.clock().getTime();
  let expired = 0;
  for (const row of await expiredUploadSessions(deps.db, now, limit)) {
    if (row.state === 'completing' && row.updatedAt > now - COMPLETING_GRACE_MS) continue;
    if (row.state === 'open' || row.state === 'completing') {
      await abortQuietly(deps, row);
      if (!(await keyHasImage(deps.db, row.storageKey))) await deleteQuietly(deps, row.storageKey);
    }
    await deleteUploadSession(deps.db, row.id);
    expired++;
  }
  if (expired) deps.logger.info('expired upload sessions', { expired });
  return expired;
}
