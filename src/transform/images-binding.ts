/**
 * The transformer on Workers: the Cloudflare Images binding (`[images]` in wrangler.toml).
 *
 * How the planner's modes map to the binding's `fit` (the sizes passed are already exact, and
 * never larger than the source on any axis unless the client asked for `enlarge=true`):
 * - `scale` (fit=inside, outside, fill, or one dimension) → `squeeze`: exactly width×height.
 * - `cover` → `cover` with `gravity: center`: scaled to cover the box, the centre kept.
 * - `contain` → `pad` with a transparent (white for JPEG) background: scaled to fit, padded.
 * The binding applies EXIF orientation itself (Cloudflare: "EXIF rotation [is] applied to the
 * image even if the metadata is discarded"), so `plan.orientation` is not passed on.
 *
 * Local emulation (`wrangler dev` and the vitest pool, at the pinned wrangler) runs sharp with only
 * width, height and rotate: it always fits with sharp's `contain`, ignores `fit`, `quality`
 * and `background`, and does not apply EXIF orientation. Because the sizes are exact, its
 * output has the planned dimensions and format; cropping, quality and orientation of the
 * pixels are verified on Node and Bun (sharp.ts), not under the emulation.
 *
 * Bounds: the binding takes no input limits, so `info()` reads the size the decoder finds first
 * (a second read of the bytes), and the image is refused unless it is the stored size and
 * within `plan.maxInputPixels`. The decode itself runs on Cloudflare's side (under its own
 * limits), not in the Worker's memory; under the emulation it is sharp with its default limit.
 */
import {
  type ImageTransformer,
  TRANSFORMABLE_TYPES,
  type TransformedImage,
  type TransformPlan,
  UntransformableImage,
  VARIANT_FORMATS,
} from './transformer';

const FIT = { scale: 'squeeze', cover: 'cover', contain: 'pad' } as const;

/**
 * Errors the binding raises for the input itself: Cloudflare's 94xx codes (not an image, too
 * large, unsupported) and the emulation's 9520/9523. Anything else (the service down) stays a 500.
 */
const INPUT_ERROR = /\b(94\d\d|952[03])\b/;

export function imagesBindingTransformer(binding: ImagesBinding): ImageTransformer {
  return {
    name: 'cloudflare-images',
    reads: TRANSFORMABLE_TYPES,
    async transform(open, plan: TransformPlan): Promise<TransformedImage> {
      await checkInfo(binding, await open(), plan);
      const input = await open();
      const format = VARIANT_FORMATS[plan.format];
      const background = format.alpha ? 'rgba(0,0,0,0)' : '#ffffff';
      let bytes: Uint8Array<ArrayBuffer>;
      let contentType: string;
      try {
        const result = await binding
          .input(input)
          .transform({
            width: plan.width,
            height: plan.height,
            fit: FIT[plan.mode],
            ...(plan.mode === 'cover' ? { gravity: 'center' as const } : {}),
            ...(plan.mode === 'contain' ? { background } : {}),
          })
          .output({
            format: format.contentType as ImageOutputOptions['format'],
            ...(plan.quality === undefined ? {} : { quality: plan.quality }),
            ...(format.alpha ? {} : { background }),
            // Variants are still images on every runtime: the first frame of an animation.
            anim: false,
          });
        contentType = result.contentType();
        bytes = new Uint8Array(await result.response().arrayBuffer());
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        if (INPUT_ERROR.test(message)) throw new UntransformableImage(message, { cause: err });
        throw err;
      }
      // The emulation reports a decode failure as an empty body: its sharp stream fails after
      // the response has started.
      if (bytes.byteLength === 0) throw new UntransformableImage('The Images binding produced no bytes');
      // Cloudflare may answer another format when it cannot make the one asked for (AVIF has
      // size limits); the ETag and cache key promise this format, so that is an error.
      if (contentType !== format.contentType) {
        throw new Error(`Images binding answered ${contentType} for ${format.contentType}`);
      }
      return { bytes, contentType };
    },
  };
}

/**
 * Refuses the image unless the binding's decoder reads it at the stored size and within
 * `plan.maxInputPixels`. An error the binding does not attribute to the input (the emulation
 * answers a bare 500 for bytes sharp cannot read) proves nothing either way: the transform then
 * decides, under the service's own limits.
 */
async function checkInfo(binding: ImagesBinding, stream: ReadableStream<Uint8Array>, plan: TransformPlan) {
  let info: ImageInfoResponse;
  try {
    info = await binding.info(stream);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (INPUT_ERROR.test(message)) throw new UntransformableImage(message, { cause: err });
    return;
  }
  const size = 'width' in info ? `${info.width}×${info.height}` : 'no size';
  if (!('width' in info) || info.width * info.height > plan.maxInputPixels) {
    throw new UntransformableImage(`the Images binding reads ${size}; the limit is ${plan.maxInputPixels} pixels`);
  }
  if (info.width !== plan.source.width || info.height !== plan.source.height) {
    throw new UntransformableImage(
      `the Images binding reads ${size}; the image is stored as ${plan.source.width}×${plan.source.height}`,
    );
  }
}
