/**
 * The transformer for Node and Bun: sharp (libvips, prebuilt from the npm registry). Output
 * carries no metadata: sharp drops EXIF, XMP and ICC unless asked to keep them, and it is never
 * asked here. Orientation is applied from the plan, not from the file, so the pixels always
 * match the size the planner promised.
 *
 * Bounds, enforced here whatever the stored row says: the decoder refuses more than
 * `plan.maxInputPixels` (libvips checks the size its loader found, which for GIF covers every
 * frame, not just the logical screen), only the first frame or page is decoded, the size the
 * decoder reports must be the stored one, a decode stops after DECODE_TIMEOUT_SECONDS, and at
 * most `running` decodes run in this process with `queued` more waiting (decode-gate.ts).
 */
import sharp from 'sharp';
import { DECODE_LIMITS, DECODE_TIMEOUT_SECONDS } from '../limits';
import { type DecodeGate, decodeGate, type Reserve } from './decode-gate';
import {
  type ImageTransformer,
  TRANSFORMABLE_TYPES,
  type TransformedImage,
  type TransformPlan,
  UntransformableImage,
  VARIANT_FORMATS,
  VariantTooCostly,
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

const untransformable = (err: unknown) =>
  new UntransformableImage(err instanceof Error ? err.message : String(err), { cause: err });

export function sharpTransformer(limits = DECODE_LIMITS): ImageTransformer & { gate: DecodeGate } {
  const gate = decodeGate(limits);
  return {
    name: 'sharp',
    reads: TRANSFORMABLE_TYPES,
    gate,
    // The source is read inside the gate too: a waiting request holds no image bytes.
    transform: (open, plan) =>
      gate.run(async (reserve) => make(new Uint8Array(await new Response(await open()).arrayBuffer()), plan, reserve)),
  };
}

// libvips' operation cache would keep decoded images after their answer, outside the budget.
sharp.cache(false);

const SAMPLE_BYTES: Partial<Record<string, number>> = {
  uchar: 1,
  char: 1,
  ushort: 2,
  short: 2,
  uint: 4,
  int: 4,
  float: 4,
};
/**
 * The output is held more than once: the resized image, the encoder's working copy and, for an
 * EXIF rotation, the rotated one (measured on Node: about 3 to 3.4 times the output's RGBA).
 */
const OUTPUT_COPIES = 3.5;
/** Rows a streaming decoder holds at a time, with room for the resize's own window. */
const STREAMED_ROWS = 256;

/**
 * The memory decoding `meta` holds at its peak. A progressive JPEG keeps every DCT coefficient
 * (2 bytes a sample) besides the decoded image and libvips' copy of it (measured: about four
 * times the image); an interlaced PNG, a GIF frame and a WebP are
 * decoded whole; a baseline JPEG or a plain PNG streams a band of rows at a time. The output
 * is held whole, several times over (OUTPUT_COPIES), in every case.
 */
export function decodeCost(meta: sharp.Metadata, plan: Pick<TransformPlan, 'width' | 'height'>): number {
  const width = meta.width ?? 0;
  const height = meta.height ?? 0;
  const sample = (SAMPLE_BYTES[meta.depth ?? 'uchar'] ?? 1) * Math.max(meta.channels ?? 4, 1);
  const whole = width * height * sample;
  let input: number;
  if (meta.format === 'jpeg' && meta.isProgressive) input = 4 * whole;
  else if (meta.format === 'png' && meta.isProgressive) input = 2 * whole;
  else if (meta.format === 'gif') input = width * height * 4;
  else if (meta.format === 'webp') input = width * height * 4;
  else input = Math.min(whole, width * sample * STREAMED_ROWS);
  return input + OUTPUT_COPIES * plan.width * plan.height * 4;
}

async function make(source: Uint8Array, plan: TransformPlan, reserve: Reserve): Promise<TransformedImage> {
  // `failOn: 'error'` still decodes files with harmless warnings, as browsers do.
  const options: sharp.SharpOptions = {
    failOn: 'error',
    limitInputPixels: plan.maxInputPixels,
    pages: 1,
    sequentialRead: true,
  };
  let meta: sharp.Metadata;
  try {
    meta = await sharp(source, options).metadata();
  } catch (err) {
    throw untransformable(err);
  }
  // What the decoder found, not what the upload's header said: a file whose frames or coded
  // size differ from the stored size is refused before any pixel is decoded.
  if (meta.width !== plan.source.width || meta.height !== plan.source.height) {
    throw new UntransformableImage(
      `the decoder reads ${meta.width}×${meta.height}; the image is stored as ${plan.source.width}×${plan.source.height}`,
    );
  }
  // What holding this image costs, from the decoder's own reading, reserved before any pixel.
  await reserve(decodeCost(meta, plan));
  const format = VARIANT_FORMATS[plan.format];
  let image = sharp(source, options).timeout({ seconds: DECODE_TIMEOUT_SECONDS });
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
    // Too slow is this request's cost (a smaller variant may be quick), not the image's fault.
    if (err instanceof Error && /timeout/i.test(err.message)) {
      throw new VariantTooCostly(`the decode took longer than ${DECODE_TIMEOUT_SECONDS} s`, { cause: err });
    }
    // Everything else sharp can fail on here is the input: not an image, truncated, unsupported.
    throw untransformable(err);
  }
  const bytes = new Uint8Array(new ArrayBuffer(out.byteLength));
  bytes.set(out);
  return { bytes, contentType: format.contentType };
}
