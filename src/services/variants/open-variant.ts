import type { ImageRecord } from '../../db/images/queries';
import type { ServiceDeps } from '../deps';
import { variantEtag, variantHash, variantKey } from './identity';
import { makeVariant } from './make-variant';
import { refuse, UNDECODABLE, variantRefusal } from './refusals';
import { type AcceptedFormats, isThumbnail, type NormalisedVariant, normalise, type VariantRequest } from './request';
import { releaseQuietly, reserveVariantSlot, storeVariant } from './reservations';

export type VariantFile =
  | { kind: 'not-modified'; etag: string; variant: NormalisedVariant }
  | {
      kind: 'bytes';
      etag: string;
      variant: NormalisedVariant;
      body: ReadableStream<Uint8Array> | Uint8Array<ArrayBuffer>;
      size: number;
    };

/**
 * The variant of `image` that `request` names: 304 when `notModified` accepts its ETag (no store
 * read), the cached copy (one store read), or a new one made, stored and returned.
 */
export async function openVariant(
  deps: Pick<ServiceDeps, 'db' | 'store' | 'transformer' | 'config' | 'logger' | 'clock'>,
  image: ImageRecord,
  request: VariantRequest,
  ask: { accepts: AcceptedFormats; notModified?: (etag: string) => boolean },
): Promise<VariantFile> {
  const refusal = variantRefusal(image, deps);
  if (refusal) throw refuse(refusal);
  const variant = normalise(request, image, ask.accepts);
  const hash = await variantHash(image, variant);
  const etag = variantEtag(hash);
  if (ask.notModified?.(etag)) return { kind: 'not-modified', etag, variant };

  const key = variantKey(image.storageKey, hash, variant.format);
  const cached = await deps.store.get(key);
  if (cached) return { kind: 'bytes', etag, variant, body: cached.body, size: cached.size };
  // Variants stored before a decode failed are still served above; no new one is tried.
  if (image.decodeFailedAt !== null) throw refuse(UNDECODABLE);

  const reserved = await reserveVariantSlot(deps, { imageId: image.id, hash, key, counted: !isThumbnail(variant) });
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = await makeVariant(deps, image, variant);
  } catch (err) {
    if (reserved) await releaseQuietly(deps, reserved);
    throw err;
  }
  if (reserved) await storeVariant(deps, image, reserved, key, variant.format, bytes);
  return { kind: 'bytes', etag, variant, body: bytes, size: bytes.byteLength };
}
