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
 *
 * What the routes use is exported here; the modules are request.ts (the parameters and their
 * defaults), refusals.ts and plan.ts (what is refused, and the exact output size),
 * identity.ts (hash, ETag, storage key), reservations.ts (the `image_variants` slot and the
 * stored copy), make-variant.ts (the engine run) and open-variant.ts (the whole request).
 */

/** The content type and file extension of each output format (a variant's response headers). */
export { VARIANT_FORMATS } from '../../transform/transformer';
export { openVariant, type VariantFile } from './open-variant';
export {
  type AcceptedFormats,
  FITS,
  FORMATS,
  isVariantRequest,
  THUMBNAIL_QUERY,
  type VariantRequest,
  variantRequestIssues,
} from './request';
