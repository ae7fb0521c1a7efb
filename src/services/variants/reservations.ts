import type { ImageRecord } from '../../db/images/queries';
import {
  finishVariant,
  type Reserved,
  releaseVariant,
  reserveVariant,
  type VariantSlot,
  variantStanding,
} from '../../db/variant-queries';
import { VARIANT_FORMATS, type VariantFormat } from '../../transform/transformer';
import type { ServiceDeps } from '../deps';
import { NotFound } from '../errors';
import { refuse } from './refusals';

/**
 * The slot for this variant, reserved in the database (one conditional insert, so racing first
 * requests cannot exceed MAX_VARIANTS_PER_IMAGE), or undefined when another request is making
 * the same variant: this one makes it too but does not store it.
 */
export async function reserveVariantSlot(
  deps: Pick<ServiceDeps, 'db' | 'config' | 'clock'>,
  slot: VariantSlot,
): Promise<Reserved | undefined> {
  const reservedAt = deps.clock().getTime();
  const max = deps.config.maxVariantsPerImage;
  const [row] = await reserveVariant(deps.db, slot, max, reservedAt);
  if (row) return { imageId: slot.imageId, hash: slot.hash, reservedAt };
  const [standing] = await variantStanding(deps.db, slot);
  if (!standing?.image) throw new NotFound('No such image.');
  if (standing.taken) return undefined;
  throw refuse(
    `This image already has ${max} stored variants (MAX_VARIANTS_PER_IMAGE). Ask for one of the sizes already made, the thumbnail, or the original.`,
  );
}

/**
 * Stores a variant and finishes its reservation. Stored bytes count in the owner's
 * `bytes_stored`; when they would exceed the byte quota, or the image was deleted meanwhile,
 * the reservation is released and the bytes deleted at once (the answer is still served).
 */
export async function storeVariant(
  deps: Pick<ServiceDeps, 'db' | 'store' | 'config' | 'logger'>,
  image: ImageRecord,
  reserved: Reserved,
  key: string,
  format: VariantFormat,
  bytes: Uint8Array<ArrayBuffer>,
): Promise<void> {
  try {
    await deps.store.put(key, new Blob([bytes]), {
      contentType: VARIANT_FORMATS[format].contentType,
      size: bytes.byteLength,
    });
  } catch (err) {
    // The variant is still right; the next request makes it again.
    deps.logger.warn('could not store a variant', { image_id: image.id, key, error: String(err) });
    await releaseQuietly(deps, reserved);
    return;
  }
  let stored: boolean;
  try {
    const [finished] = await deps.db.batch(
      finishVariant(deps.db, reserved, bytes.byteLength, deps.config.quotaMaxBytes),
    );
    stored = finished.length > 0;
  } catch (err) {
    // Left reserved: housekeeping releases it and sweeps the bytes.
    deps.logger.warn('could not record a stored variant', { image_id: image.id, key, error: String(err) });
    return;
  }
  if (stored) return;
  try {
    await deps.store.delete([key]);
  } catch (err) {
    deps.logger.warn('could not delete an unrecorded variant', { image_id: image.id, key, error: String(err) });
  }
}

export async function releaseQuietly(deps: Pick<ServiceDeps, 'db' | 'logger'>, reserved: Reserved): Promise<void> {
  try {
    await releaseVariant(deps.db, reserved);
  } catch (err) {
    deps.logger.warn('could not release a variant reservation', { image_id: reserved.imageId, error: String(err) });
  }
}
