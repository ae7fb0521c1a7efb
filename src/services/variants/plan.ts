import type { ImageRecord } from '../../db/images/queries';
import { swapsAxes } from '../../formats/orientation';
import { MAX_AVIF_SIDE, MAX_SOURCE_SIDE } from '../../limits';
import type { TransformPlan } from '../../transform/transformer';
import type { ServiceDeps } from '../deps';
import { refuse } from './refusals';
import type { NormalisedVariant } from './request';

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

/** The engine's plan for an upright-corrected source, refused when the output breaks a limit. */
export function planTransform(
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
