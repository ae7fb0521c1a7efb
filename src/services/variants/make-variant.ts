import type { ImageRecord } from '../../db/images/queries';
import { markUndecodable } from '../../db/variant-queries';
import { jpegOrientation } from '../../formats/orientation';
import { SNIFF_BYTES, sniffImage } from '../../formats/sniff';
import { peek } from '../../lib/peek-stream';
import { RETRY_AFTER_SECONDS } from '../../lib/unavailable';
import {
  EngineBusy,
  type TransformPlan,
  UntransformableImage,
  VARIANT_FORMATS,
  VariantTooCostly,
} from '../../transform/transformer';
import type { ServiceDeps } from '../deps';
import { Busy, Inconsistent } from '../errors';
import { planTransform } from './plan';
import { refuse, UNDECODABLE } from './refusals';
import type { NormalisedVariant } from './request';

/** The variant's bytes, made by the engine; a decode failure is remembered on the image. */
export async function makeVariant(
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
