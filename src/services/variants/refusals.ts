import type { ImageRecord } from '../../db/images/queries';
import { MAX_SOURCE_SIDE } from '../../limits';
import type { ServiceDeps } from '../deps';
import { CannotProcess } from '../errors';

export const refuse = (detail: string) => new CannotProcess(detail);

export const UNDECODABLE = 'This image cannot be decoded to make a variant. Fetch it without variant parameters.';

/** Why this image gets no variants (CannotProcess; its original stays available), or undefined. */
export function variantRefusal(
  image: Pick<ImageRecord, 'verified' | 'contentType' | 'width' | 'height'>,
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
