import { rgbaToThumbHash } from 'thumbhash';
import { type ImageRecord, imagesWithoutThumbhash, setThumbhash } from '../db/images/queries';
import { jpegOrientation, swapsAxes } from '../formats/orientation';
import { decodePng } from '../formats/png-pixels';
import { SNIFF_BYTES } from '../formats/sniff';
import { peek } from '../lib/peek-stream';
import type { TransformPlan } from '../transform/transformer';
import type { ServiceDeps } from './deps';
import { variantRefusal } from './variants/refusals';

/**
 * ThumbHash placeholders (a blurred preview in ~25 bytes) for verified images an engine decodes.
 * Every runtime takes the same path, so the same bytes give the same hash: the engine (sharp on
 * Node and Bun, the Images binding on Workers, which gives PNG but never raw pixels) makes a PNG
 * of at most THUMBHASH_SIDE per side, upright, through its own decode gate and bounds (the
 * variant rules: MAX_VARIANT_PIXELS, the stored size checked against the decoder's); the PNG
 * is decoded here (formats/png-pixels) and hashed.
 */

/** ThumbHash encodes images of at most 100×100. */
export const THUMBHASH_SIDE = 100;

/**
 * Largest original an upload makes its ThumbHash of. sharp holds the whole original while it
 * decodes, so a larger one would break the streaming upload's memory bound; those get theirs from
 * the backfill (scripts/backfill-thumbhash.ts), which runs apart from the server.
 */
export const THUMBHASH_UPLOAD_MAX_BYTES = 16 * 2 ** 20;

export type ThumbhashSource = Pick<ImageRecord, 'storageKey' | 'contentType' | 'width' | 'height' | 'verified'> & {
  /** The original's bytes, where known (see `maxBytes`). */
  size?: number;
};

/**
 * The image's ThumbHash as base64, or null when it gets none (unverified, a type the engine does
 * not decode, too large, unknown size) or it could not be made: a placeholder is never worth
 * failing an upload over, so every failure is logged and answered null.
 */
export async function computeThumbhash(
  deps: Pick<ServiceDeps, 'store' | 'transformer' | 'config' | 'logger'>,
  source: ThumbhashSource,
  { maxBytes = Number.POSITIVE_INFINITY }: { maxBytes?: number } = {},
): Promise<string | null> {
  if (variantRefusal(source, deps) !== undefined) return null;
  if ((source.size ?? 0) > maxBytes) return null;
  try {
    return await makeThumbhash(deps, source);
  } catch (err) {
    deps.logger.warn('no thumbhash: the image could not be reduced', {
      key: source.storageKey,
      engine: deps.transformer.name,
      error: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
    });
    return null;
  }
}

async function makeThumbhash(
  deps: Pick<ServiceDeps, 'store' | 'transformer' | 'config'>,
  source: ThumbhashSource,
): Promise<string | null> {
  const openOriginal = async () => {
    const original = await deps.store.get(source.storageKey);
    if (!original) throw new Error('the stored bytes are missing');
    return original.body;
  };
  const { head, body } = await peek(await openOriginal(), SNIFF_BYTES);
  let first: ReadableStream<Uint8Array> | undefined = body;
  const open = async () => {
    const stream = first ?? (await openOriginal());
    first = undefined;
    return stream;
  };
  try {
    const plan = thumbhashPlan(source, source.contentType === 'image/jpeg' ? jpegOrientation(head) : 1, deps);
    const made = await deps.transformer.transform(open, plan);
    const pixels = await decodePng(made.bytes, THUMBHASH_SIDE * THUMBHASH_SIDE);
    return toBase64(rgbaToThumbHash(pixels.width, pixels.height, pixels.rgba));
  } finally {
    if (first) await first.cancel().catch(() => {});
  }
}

/** The upright image scaled to fit THUMBHASH_SIDE (never enlarged), as PNG. */
export function thumbhashPlan(
  source: ThumbhashSource,
  orientation: number,
  deps: Pick<ServiceDeps, 'config'>,
): TransformPlan {
  const width = source.width as number;
  const height = source.height as number;
  const [uw, uh] = swapsAxes(orientation) ? [height, width] : [width, height];
  const scale = Math.min(1, THUMBHASH_SIDE / Math.max(uw, uh));
  return {
    source: { width, height },
    maxInputPixels: deps.config.maxVariantPixels,
    orientation,
    width: Math.max(1, Math.round(uw * scale)),
    height: Math.max(1, Math.round(uh * scale)),
    mode: 'scale',
    format: 'png',
    quality: undefined,
  };
}

function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

export interface BackfillProgress {
  /** Images examined. */
  scanned: number;
  /** Images given a ThumbHash. */
  set: number;
  /** The last image id examined: pass it as `afterId` to go on; null when none remain. */
  lastId: number | null;
}

/**
 * One slice of the backfill: the next `limit` verified images after `afterId` that have no
 * ThumbHash, each made as an upload makes it (computeThumbhash) and written only where it is
 * still missing. An image that gets none stays null and is passed over, so a run walking the ids
 * tries each image once (scripts/backfill-thumbhash.ts).
 */
export async function backfillThumbhashes(
  deps: Pick<ServiceDeps, 'db' | 'store' | 'transformer' | 'config' | 'logger'>,
  { afterId, limit }: { afterId: number; limit: number },
): Promise<BackfillProgress> {
  const rows = await imagesWithoutThumbhash(deps.db, afterId, limit);
  let set = 0;
  for (const row of rows) {
    const hash = await computeThumbhash(deps, { ...row, verified: true });
    if (hash === null) continue;
    await setThumbhash(deps.db, row.id, hash);
    set++;
  }
  return { scanned: rows.length, set, lastId: rows.at(-1)?.id ?? null };
}
