/**
 * The transformer for Node and Bun: sharp (libvips, prebuilt from the npm registry). Output
 * carries no metadata: sharp drops EXIF, XMP and ICC unless asked to keep them, and it is never
 * asked here. Orientation is applied from the plan, not from the file, so the pixels always
 * match the size the planner promised.
 */
import sharp from 'sharp';
import {
  type ImageTransformer,
  TRANSFORMABLE_TYPES,
  type TransformedImage,
  type TransformPlan,
  UntransformableImage,
  VARIANT_FORMATS,
} from './transformer';

/** EXIF orientation as sharp operations; sharp mirrors before it rotates. */
const ORIENT: Record<number, (s: sharp.Sharp) => sharp.Sharp> = {
  2: (s) => s.flop(),
  3: (s) => s.rotate(180),
  4: (s) => s.flip(),
  5: (s) => s.flop().rotate(270),
  6: (s) => s.rotate(90),
  7: (s) => s.flop().rotate(90),
  8: (s) => s.rotate(270),
};

const TRANSPARENT = { r: 0, g: 0, b: 0, alpha: 0 };
const WHITE = { r: 255, g: 255, b: 255, alpha: 1 };

export function sharpTransformer(): ImageTransformer {
  return {
    name: 'sharp',
    reads: TRANSFORMABLE_TYPES,
    async transform(input, plan: TransformPlan): Promise<TransformedImage> {
      const source = new Uint8Array(await new Response(input).arrayBuffer());
      const format = VARIANT_FORMATS[plan.format];
      // The service checked the pixel count against MAX_VARIANT_PIXELS from the stored size;
      // `failOn: 'error'` still decodes files with harmless warnings, as browsers do.
      let image = sharp(source, { failOn: 'error', limitInputPixels: false, sequentialRead: true });
      image = ORIENT[plan.orientation]?.(image) ?? image;
      const background = format.alpha ? TRANSPARENT : WHITE;
      image = image.resize(plan.width, plan.height, {
        fit: plan.mode === 'scale' ? 'fill' : plan.mode,
        position: 'centre',
        background,
      });
      if (!format.alpha) image = image.flatten({ background: WHITE });
      const q = plan.quality;
      if (plan.format === 'webp') image = image.webp({ quality: q });
      else if (plan.format === 'avif') image = image.avif({ quality: q });
      else if (plan.format === 'jpeg') image = image.jpeg({ quality: q });
      else image = image.png();
      let out: Buffer;
      try {
        out = await image.toBuffer();
      } catch (err) {
        // Everything sharp can fail on here is the input: not an image, truncated, unsupported.
        throw new UntransformableImage(err instanceof Error ? err.message : String(err), { cause: err });
      }
      const bytes = new Uint8Array(new ArrayBuffer(out.byteLength));
      bytes.set(out);
      return { bytes, contentType: format.contentType };
    },
  };
}
