import type { ImageRecord } from '../../db/images/queries';
import { MAX_AVIF_SIDE } from '../../limits';
import type { VariantFormat } from '../../transform/transformer';

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

/** The list thumbnail: exempt from MAX_VARIANTS_PER_IMAGE. */
export const isThumbnail = (n: NormalisedVariant) =>
  n.width === THUMBNAIL.width &&
  n.height === THUMBNAIL.height &&
  n.fit === THUMBNAIL.fit &&
  !n.enlarge &&
  n.quality === (n.format === 'png' ? undefined : DEFAULT_QUALITY);
