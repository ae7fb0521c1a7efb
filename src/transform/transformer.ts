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
   * Carries out `plan` on the image in `input`. Metadata is not carried over (no EXIF, no GPS).
   * Throws `UntransformableImage` when the engine cannot decode the bytes.
   */
  transform(input: ReadableStream<Uint8Array>, plan: TransformPlan): Promise<TransformedImage>;
}

/** The engine could not read this image (corrupt, or a variant of a format it does not decode). */
export class UntransformableImage extends Error {
  override name = 'UntransformableImage';
}

/** Content types every engine here decodes. BMP and TIFF are stored and served, but get no variants. */
export const TRANSFORMABLE_TYPES: ReadonlySet<string> = new Set([
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/webp',
  'image/avif',
]);
