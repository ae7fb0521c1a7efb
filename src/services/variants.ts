/**
 * Image variants: a resized and/or re-encoded copy of an image, made by the runtime's
 * ImageTransformer and cached in the byte store beside the original.
 *
 * The rules, the same on every runtime:
 * - Without `enlarge=true` no output axis is larger than the (upright) source's: `inside` and
 *   `outside` scale by at most 1, and the `cover`/`contain`/`fill` box is first clamped to the
 *   source on each axis. With `enlarge=true` the box is honoured exactly.
 * - Sizes are planned here, exactly, before any engine runs, so every engine gives the same
 *   dimensions (see transform/transformer.ts).
 * - Refusals are CannotProcess errors and leave the original available: a source format no engine here
 *   decodes (BMP, TIFF, AVIF), unknown dimensions, a source over MAX_VARIANT_PIXELS or wider or
 *   taller than MAX_SOURCE_SIDE, an output over either limit, an AVIF over MAX_AVIF_SIDE, an image
 *   an engine already failed to decode (`decode_failed_at`, set on the first failure), or an image
 *   that already has MAX_VARIANTS_PER_IMAGE variants (the list thumbnail is exempt). The stored
 *   size is only where the check starts: the engine refuses whatever its decoder reads otherwise.
 * - Stored under `variants/<image storage key>/<hash>.<ext>`, where the hash covers the image's
 *   SHA-256 and the normalised parameters including the output format; the same hash is the
 *   variant's ETag. Each has an `image_variants` row, reserved before the decode by one
 *   conditional insert (db/variant-queries.ts), so the cap holds under racing first requests;
 *   once stored its bytes count in the owner's `bytes_stored`, and when they do not fit the byte
 *   quota the variant is served but not stored.
 */
import type { ImageRecord } from '../db/images/queries';
import {
  finishVariant,
  markUndecodable,
  type Reserved,
  releaseVariant,
  reserveVariant,
  type VariantSlot,
  variantStanding,
} from '../db/variant-queries';
import { jpegOrientation, swapsAxes } from '../formats/orientation';
import { SNIFF_BYTES, sniffImage } from '../formats/sniff';
import { RETRY_AFTER_SECONDS } from '../lib/unavailable';
import { MAX_AVIF_SIDE, MAX_SOURCE_SIDE } from '../limits';
import {
  EngineBusy,
  type TransformPlan,
  UntransformableImage,
  VARIANT_FORMATS,
  type VariantFormat,
  VariantTooCostly,
} from '../transform/transformer';
import type { ServiceDeps } from './deps';
import { Busy, CannotProcess, Inconsistent, NotFound } from './errors';

export const FITS = ['inside', 'outside', 'cover', 'contain', 'fill'] as const;
export type Fit = (typeof FITS)[number];
export const FORMATS = ['webp', 'avif', 'jpeg', 'png'] as const satisfies readonly VariantFormat[];
export type RequestedFormat = VariantFormat | 'auto';

export const DEFAULT_QUALITY = 80;

/** What the client asked for, each value already checked by the schema. */
export interface VariantRequest {
  width?: number | undefined;
  height?: number | undefined;
  fit?: Fit | undefined;
  format?: RequestedFormat | undefined;
  quality?: number | undefined;
  enlarge?: boolean | undefined;
}

/** The small variant every v1 image response links to as `thumbnail_url`. */
export const THUMBNAIL = { width: 256, height: 256, fit: 'inside', format: 'auto' } as const satisfies VariantRequest;
export const THUMBNAIL_QUERY = `width=${THUMBNAIL.width}&height=${THUMBNAIL.height}&fit=${THUMBNAIL.fit}&format=${THUMBNAIL.format}`;

export const isVariantRequest = (r: VariantRequest): boolean => Object.values(r).some((v) => v !== undefined);

/** Rules across parameters, shared by the query schema and share-link bodies. */
export function variantRequestIssues(r: VariantRequest): { name: keyof VariantRequest; message: string }[] {
  const sized = r.width !== undefined || r.height !== undefined;
  const issues: { name: keyof VariantRequest; message: string }[] = [];
  if (r.fit !== undefined && !sized) issues.push({ name: 'fit', message: 'fit needs width or height' });
  if (r.enlarge !== undefined && !sized) issues.push({ name: 'enlarge', message: 'enlarge needs width or height' });
  return issues;
}

/** Which modern formats the client takes, from its `Accept` header. */
export interface AcceptedFormats {
  avif: boolean;
  webp: boolean;
}

/** Every default filled in and the output format decided: what the key, ETag and engine see. */
export interface NormalisedVariant {
  width: number | undefined;
  height: number | undefined;
  fit: Fit;
  format: VariantFormat;
  quality: number | undefined;
  enlarge: boolean;
  /** `format=auto`: the answer depends on `Accept`. */
  negotiated: boolean;
}

/** The format a variant takes when none (or `auto` without a modern match) is asked for. */
function defaultFormat(contentType: string): VariantFormat {
  if (contentType === 'image/jpeg') return 'jpeg';
  if (contentType === 'image/webp') return 'webp';
  return 'png'; // PNG, and GIF (no GIF output: a still PNG of the first frame)
}

/**
 * Whether an AVIF `auto` answer surely stays within MAX_AVIF_SIDE, whatever the orientation
 * (unknown until the bytes are read): the output fits the box for inside/cover/contain/fill
 * with both sides given, and never exceeds the source without `enlarge`.
 */
function avifFits(r: VariantRequest, image: Pick<ImageRecord, 'width' | 'height'>): boolean {
  const boxed = r.width !== undefined && r.height !== undefined && r.fit !== 'outside';
  if (boxed && Math.max(r.width ?? 0, r.height ?? 0) <= MAX_AVIF_SIDE) return true;
  return !r.enlarge && Math.max(image.width ?? Infinity, image.height ?? Infinity) <= MAX_AVIF_SIDE;
}

export function normalise(
  r: VariantRequest,
  image: Pick<ImageRecord, 'contentType' | 'width' | 'height'>,
  accepts: AcceptedFormats,
): NormalisedVariant {
  let format: VariantFormat;
  if (r.format === 'auto') {
    format = accepts.avif && avifFits(r, image) ? 'avif' : accepts.webp ? 'webp' : defaultFormat(image.contentType);
  } else {
    format = r.format ?? defaultFormat(image.contentType);
  }
  const sized = r.width !== undefined || r.height !== undefined;
  return {
    width: r.width,
    height: r.height,
    fit: sized ? (r.fit ?? 'inside') : 'inside',
    format,
    // PNG is lossless here: a quality would only split the cache.
    quality: format === 'png' ? undefined : (r.quality ?? DEFAULT_QUALITY),
    enlarge: sized ? (r.enlarge ?? false) : false,
    negotiated: r.format === 'auto',
  };
}

/** One string per distinct variant; `negotiated` is left out, the chosen format is in. */
const canonical = (n: NormalisedVariant) =>
  `w=${n.width ?? ''};h=${n.height ?? ''};fit=${n.fit};fmt=${n.format};q=${n.quality ?? ''};up=${n.enlarge ? 1 : 0}`;

const hex = (buf: ArrayBuffer) => [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, '0')).join('');

/** The variant's identity: SHA-256 over the image's content hash and the normalised parameters. */
export async function variantHash(image: Pick<ImageRecord, 'sha256'>, n: NormalisedVariant): Promise<string> {
  const text = `imageapi-variant-v1\n${image.sha256}\n${canonical(n)}`;
  return hex(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
}

export const variantEtag = (hash: string) => `"v-${hash}"`;

/** Every variant of an image lives under this prefix, so deleting or sweeping finds them all. */
export const variantPrefix = (storageKey: string) => `variants/${storageKey}/`;
export const variantKey = (storageKey: string, hash: string, format: VariantFormat) =>
  `${variantPrefix(storageKey)}${hash}.${VARIANT_FORMATS[format].extension}`;

/** The image storage key a variant key belongs to, or undefined for any other key. */
export function imageKeyOfVariant(key: string): string | undefined {
  if (!key.startsWith('variants/')) return undefined;
  const end = key.lastIndexOf('/');
  return end > 'variants/'.length ? key.slice('variants/'.length, end) : undefined;
}

/** Every stored variant key of an image, for deleting them with it. */
export async function storedVariantKeys(store: ServiceDeps['store'], storageKey: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.list({ prefix: variantPrefix(storageKey), cursor });
    keys.push(...page.objects.map((o) => o.key));
    cursor = page.cursor;
  } while (cursor);
  return keys;
}

const isThumbnail = (n: NormalisedVariant) =>
  n.width === THUMBNAIL.width &&
  n.height === THUMBNAIL.height &&
  n.fit === THUMBNAIL.fit &&
  !n.enlarge &&
  n.quality === (n.format === 'png' ? undefined : DEFAULT_QUALITY);

const refuse = (detail: string) => new CannotProcess(detail);

export const UNDECODABLE = 'This image cannot be decoded to make a variant. Fetch it without variant parameters.';

/** Why this image gets no variants (CannotProcess; its original stays available), or undefined. */
export function variantRefusal(
  image: ImageRecord,
  deps: Pick<ServiceDeps, 'transformer' | 'config'>,
): string | undefined {
  // Bytes no sniffer recognised (a legacy upload) are never handed to an image engine.
  if (!image.verified) {
    return 'The image is unverified (its bytes match no known image format), so it gets no variants; fetch the original.';
  }
  if (!deps.transformer.reads.has(image.contentType)) {
    return `Variants are made from PNG, JPEG, GIF and WebP images; this one is ${image.contentType}. Fetch it without variant parameters.`;
  }
  const { width, height } = image;
  if (width === null || height === null) return 'The size of this image is unknown, so no variant is made of it.';
  if (width * height > deps.config.maxVariantPixels) {
    return `This image has ${width * height} pixels; variants are made of images up to ${deps.config.maxVariantPixels} (MAX_VARIANT_PIXELS).`;
  }
  if (Math.max(width, height) > MAX_SOURCE_SIDE) {
    return `This image is ${width}×${height}; variants are made of images up to ${MAX_SOURCE_SIDE} pixels per side.`;
  }
  return undefined;
}

const round = (x: number) => Math.max(1, Math.round(x));

/** Exact output size and mode for an upright source of `sw`×`sh`. */
export function planGeometry(
  n: NormalisedVariant,
  sw: number,
  sh: number,
): Pick<TransformPlan, 'width' | 'height' | 'mode'> {
  const cap = (s: number) => (n.enlarge ? s : Math.min(s, 1));
  const { width: w, height: h } = n;
  if (w === undefined && h === undefined) return { width: sw, height: sh, mode: 'scale' };
  if (w === undefined || h === undefined) {
    // One side given: every fit means "this side, aspect kept".
    const s = cap(w !== undefined ? w / sw : (h as number) / sh);
    return { width: round(sw * s), height: round(sh * s), mode: 'scale' };
  }
  if (n.fit === 'inside' || n.fit === 'outside') {
    const s = cap(n.fit === 'inside' ? Math.min(w / sw, h / sh) : Math.max(w / sw, h / sh));
    return { width: round(sw * s), height: round(sh * s), mode: 'scale' };
  }
  const box = n.enlarge ? { width: w, height: h } : { width: Math.min(w, sw), height: Math.min(h, sh) };
  return { ...box, mode: n.fit === 'fill' ? 'scale' : n.fit };
}

export type VariantFile =
  | { kind: 'not-modified'; etag: string; variant: NormalisedVariant }
  | {
      kind: 'bytes';
      etag: string;
      variant: NormalisedVariant;
      body: ReadableStream<Uint8Array> | Uint8Array<ArrayBuffer>;
      size: number;
    };

/**
 * The variant of `image` that `request` names: 304 when `notModified` accepts its ETag (no store
 * read), the cached copy (one store read), or a new one made, stored and returned.
 */
export async function openVariant(
  deps: Pick<ServiceDeps, 'db' | 'store' | 'transformer' | 'config' | 'logger' | 'clock'>,
  image: ImageRecord,
  request: VariantRequest,
  ask: { accepts: AcceptedFormats; notModified?: (etag: string) => boolean },
): Promise<VariantFile> {
  const refusal = variantRefusal(image, deps);
  if (refusal) throw refuse(refusal);
  const variant = normalise(request, image, ask.accepts);
  const hash = await variantHash(image, variant);
  const etag = variantEtag(hash);
  if (ask.notModified?.(etag)) return { kind: 'not-modified', etag, variant };

  const key = variantKey(image.storageKey, hash, variant.format);
  const cached = await deps.store.get(key);
  if (cached) return { kind: 'bytes', etag, variant, body: cached.body, size: cached.size };
  // Variants stored before a decode failed are still served above; no new one is tried.
  if (image.decodeFailedAt !== null) throw refuse(UNDECODABLE);

  const reserved = await reserve(deps, { imageId: image.id, hash, key, counted: !isThumbnail(variant) });
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = await make(deps, image, variant);
  } catch (err) {
    if (reserved) await releaseQuietly(deps, reserved);
    throw err;
  }
  if (reserved) await store(deps, image, reserved, key, variant.format, bytes);
  return { kind: 'bytes', etag, variant, body: bytes, size: bytes.byteLength };
}

/**
 * The slot for this variant, reserved in the database (one conditional insert, so racing first
 * requests cannot exceed MAX_VARIANTS_PER_IMAGE), or undefined when another request is making
 * the same variant: this one makes it too but does not store it.
 */
async function reserve(
  deps: Pick<ServiceDeps, 'db' | 'config' | 'clock'>,
  slot: VariantSlot,
): Promise<Reserved | undefined> {
  const reservedAt = deps.clock().getTime();
  const max = deps.config.maxVariantsPerImage;
  const [row] = await reserveVariant(deps.db, slot, max, reservedAt);
  if (row) return { imageId: slot.imageId, hash: slot.hash, reservedAt };
  const [standing] = await variantStanding(deps.db, slot);
  if (!standing?.image) throw new NotFound('No such image.');
  if (standing.taken) return undefined;
  throw refuse(
    `This image already has ${max} stored variants (MAX_VARIANTS_PER_IMAGE). Ask for one of the sizes already made, the thumbnail, or the original.`,
  );
}

/** The variant's bytes, made by the engine; a decode failure is remembered on the image. */
async function make(
  deps: Pick<ServiceDeps, 'db' | 'store' | 'transformer' | 'config' | 'logger' | 'clock'>,
  image: ImageRecord,
  variant: NormalisedVariant,
): Promise<Uint8Array<ArrayBuffer>> {
  const openOriginal = async () => {
    const original = await deps.store.get(image.storageKey);
    if (original) return original.body;
    deps.logger.error('image row points at missing bytes', { image_id: image.id, key: image.storageKey });
    throw new Inconsistent('The image bytes are unavailable.');
  };
  const { head, body } = await peek(await openOriginal(), SNIFF_BYTES);
  let plan: TransformPlan;
  try {
    plan = planTransform(variant, image, image.contentType === 'image/jpeg' ? jpegOrientation(head) : 1, deps);
  } catch (err) {
    await body.cancel().catch(() => {});
    throw err;
  }
  // The first read is the peeked stream; an engine that reads twice gets the bytes again.
  let first: ReadableStream<Uint8Array> | undefined = body;
  const open = async () => {
    const stream = first ?? (await openOriginal());
    first = undefined;
    return stream;
  };

  let bytes: Uint8Array<ArrayBuffer>;
  try {
    ({ bytes } = await deps.transformer.transform(open, plan));
  } catch (err) {
    if (err instanceof UntransformableImage) {
      deps.logger.warn('variant not made: the engine cannot read the image', {
        image_id: image.id,
        engine: deps.transformer.name,
        error: err.message,
      });
      // The same bytes fail the same way: the next request is refused without decoding.
      await markUndecodable(deps.db, image.id, deps.clock().getTime()).catch((e: unknown) =>
        deps.logger.warn('could not mark an image undecodable', { image_id: image.id, error: String(e) }),
      );
      throw refuse(UNDECODABLE);
    }
    if (err instanceof VariantTooCostly) {
      deps.logger.warn('variant not made: over the decode budget', { image_id: image.id, error: err.message });
      throw refuse(
        `This variant needs more than one decode may take here (${err.message}). Ask for a smaller size; the original is still served.`,
      );
    }
    if (err instanceof EngineBusy) {
      deps.logger.warn('variant not made: every decode slot is taken', { image_id: image.id, error: err.message });
      throw new Busy('Too many images are being resized right now. Retry shortly.', RETRY_AFTER_SECONDS);
    }
    throw err;
  } finally {
    if (first) await first.cancel().catch(() => {});
  }
  const made = sniffImage(bytes.subarray(0, SNIFF_BYTES));
  if (made?.contentType !== VARIANT_FORMATS[variant.format].contentType) {
    throw new Error(`${deps.transformer.name} made ${made?.contentType ?? 'unknown bytes'} for ${variant.format}`);
  }
  return bytes;
}

/**
 * Stores a variant and finishes its reservation. Stored bytes count in the owner's
 * `bytes_stored`; when they would exceed the byte quota, or the image was deleted meanwhile,
 * the reservation is released and the bytes deleted at once (the answer is still served).
 */
async function store(
  deps: Pick<ServiceDeps, 'db' | 'store' | 'config' | 'logger'>,
  image: ImageRecord,
  reserved: Reserved,
  key: string,
  format: VariantFormat,
  bytes: Uint8Array<ArrayBuffer>,
): Promise<void> {
  try {
    await deps.store.put(key, new Blob([bytes]), {
      contentType: VARIANT_FORMATS[format].contentType,
      size: bytes.byteLength,
    });
  } catch (err) {
    // The variant is still right; the next request makes it again.
    deps.logger.warn('could not store a variant', { image_id: image.id, key, error: String(err) });
    await releaseQuietly(deps, reserved);
    return;
  }
  let stored: boolean;
  try {
    const [finished] = await deps.db.batch(
      finishVariant(deps.db, reserved, bytes.byteLength, deps.config.quotaMaxBytes),
    );
    stored = finished.length > 0;
  } catch (err) {
    // Left reserved: housekeeping releases it and sweeps the bytes.
    deps.logger.warn('could not record a stored variant', { image_id: image.id, key, error: String(err) });
    return;
  }
  if (stored) return;
  try {
    await deps.store.delete([key]);
  } catch (err) {
    deps.logger.warn('could not delete an unrecorded variant', { image_id: image.id, key, error: String(err) });
  }
}

async function releaseQuietly(deps: Pick<ServiceDeps, 'db' | 'logger'>, reserved: Reserved): Promise<void> {
  try {
    await releaseVariant(deps.db, reserved);
  } catch (err) {
    deps.logger.warn('could not release a variant reservation', { image_id: reserved.imageId, error: String(err) });
  }
}

function planTransform(
  variant: NormalisedVariant,
  image: ImageRecord,
  orientation: number,
  deps: Pick<ServiceDeps, 'config'>,
): TransformPlan {
  const [sw, sh] = swapsAxes(orientation)
    ? [image.height as number, image.width as number]
    : [image.width as number, image.height as number];
  const geometry = planGeometry(variant, sw, sh);
  const { width, height } = geometry;
  if (width * height > deps.config.maxVariantPixels || Math.max(width, height) > MAX_SOURCE_SIDE) {
    throw refuse(
      `That variant would be ${width}×${height}; variants are at most ${deps.config.maxVariantPixels} pixels (MAX_VARIANT_PIXELS) and ${MAX_SOURCE_SIDE} per side.`,
    );
  }
  if (variant.format === 'avif' && Math.max(width, height) > MAX_AVIF_SIDE) {
    throw refuse(
      `That variant would be ${width}×${height}; AVIF variants are at most ${MAX_AVIF_SIDE} pixels per side. Ask for webp, or a smaller size.`,
    );
  }
  return {
    ...geometry,
    source: { width: image.width as number, height: image.height as number },
    maxInputPixels: deps.config.maxVariantPixels,
    orientation,
    format: variant.format,
    quality: variant.quality,
  };
}

/** The first `n` bytes of a stream (fewer if it is shorter), and a stream of all of it. */
async function peek(
  stream: ReadableStream<Uint8Array>,
  n: number,
): Promise<{ head: Uint8Array; body: ReadableStream<Uint8Array> }> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let ended = false;
  while (size < n) {
    const { done, value } = await reader.read();
    if (done) {
      ended = true;
      break;
    }
    chunks.push(value);
    size += value.byteLength;
  }
  const head = new Uint8Array(Math.min(size, n));
  let at = 0;
  for (const chunk of chunks) {
    if (at >= head.length) break;
    const part = chunk.subarray(0, head.length - at);
    head.set(part, at);
    at += part.length;
  }
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      if (ended) controller.close();
    },
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel: (reason) => reader.cancel(reason),
  });
  return { head, body };
}
