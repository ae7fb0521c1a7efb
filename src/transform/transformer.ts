/**
 * The port for making image variants: the Cloudflare Images binding on Workers
 * (images-binding.ts), sharp on Node and Bun (sharp.ts). The geometry is decided before an
 * engine is called (services/variants.ts plans exact output sizes), so engines only carry out
 * a plan and every runtime gives the same dimensions for the same request.
 */

export type VariantFormat = 'webp' | 'avif' | 'jpeg' | 'png';

export const VARIANT_FORMATS: Record<VariantFormat, { contentType: string; extension: string; alpha: boolean }> = {
  webp: { contentType: 'image/webp', extension: 'webp', alpha: true },
  avif: { contentType: 'image/avif', extension: 'avif', alpha: true },
  jpeg: { contentType: 'image/jpeg', extension: 'jpg', alpha: false },
  png: { contentType: 'image/png', extension: 'png', alpha: true },
};

/**
 * What an engine must produce. `width`×`height` is exact; `mode` says how the (oriented) source
 * maps onto it: `scale` resizes to exactly that size (the planner keeps the aspect ratio unless
 * `fit=fill` asked otherwise), `cover` scales to cover it and crops the centre, `contain` scales
 * to fit inside it and pads the rest (transparent, or white where the format has no alpha).
 */
export interface TransformPlan {
  /**
   * The source's size as stored (before orientation). The engine compares it with the size its
   * decoder reports and refuses a mismatch: a header that lies about its size is never decoded.
   */
  source: { width: number; height: number };
  /** Most pixels the engine may decode (MAX_VARIANT_PIXELS), enforced by the decoder itself. */
  maxInputPixels: number;
  /** EXIF orientation 1–8 of the source; the output is upright. */
  orientation: number;
  width: number;
  height: number;
  mode: 'scale' | 'cover' | 'contain';
  format: VariantFormat;
  /** 1–100 for lossy formats; undefined for PNG. */
  quality: number | undefined;
}

export interface TransformedImage {
  bytes: Uint8Array<ArrayBuffer>;
  contentType: string;
}

export interface ImageTransformer {
  /** Engine name, for logs. */
  readonly name: string;
  /** Stored content types this engine decodes; other images get no variants (422). */
  readonly reads: ReadonlySet<string>;
  /**
   * Carries out `plan` on the image whose bytes `open` streams (each call a fresh stream: an
   * engine may read the header once to check it, then the whole file). Metadata is not carried
   * over (no EXIF, no GPS). Throws `UntransformableImage` when the engine cannot or may not
   * decode the bytes, `EngineBusy` when it has no room for another decode now.
   */
  transform(open: () => Promise<ReadableStream<Uint8Array>>, plan: TransformPlan): Promise<TransformedImage>;
}

/**
 * The engine could not or would not read this image: corrupt, a format it does not decode, more
 * pixels than `maxInputPixels`, or a size other than the stored one. The same bytes fail the
 * same way every time, so the caller remembers it (services/variants.ts).
 */
export class UntransformableImage extends Error {
  override name = 'UntransformableImage';
}

/**
 * This variant of this image needs more than one decode may take (memory, or time): a smaller one
 * may still be made, so nothing is remembered against the image.
 */
export class VariantTooCostly extends Error {
  override name = 'VariantTooCostly';
}

/** The engine is running and queueing as many decodes as it may; the request may be repeated. */
export class EngineBusy extends Error {
  override name = 'EngineBusy';
}

/**
 * Content types every engine here decodes. BMP and TIFF are stored and served, but get no
 * variants; nor do AVIF (and HEIF, which is not accepted at all): their size is a claim in an
 * `ispe` box that the coded image need not match, and a decoder learns the truth only by decoding.
 */
export const TRANSFORMABLE_TYPES: ReadonlySet<string> = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);
