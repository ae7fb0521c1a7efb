import type { ImageRecord } from '../../db/images/queries';
import { VARIANT_FORMATS, type VariantFormat } from '../../transform/transformer';
import type { ServiceDeps } from '../deps';
import type { NormalisedVariant } from './request';

/** One string per distinct variant; `negotiated` is left out, the chosen format is in. */
const canonical = (n: NormalisedVariant) =>
  `w=${n.width ?? ''};h=${n.height ?? ''};fit=${n.fit};fmt=${n.format};q=${n.quality ?? ''};up=${n.enlarge ? 1 : 0}`;

const hex = (buf: ArrayBuffer) => [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, '0')).join('');

/** The variant's identity: SHA-256 over the image's content hash and the normalised parameters. */
export async function variantHash(image: Pick<ImageRecord, 'sha256'>, n: NormalisedVariant): Promise<string> {
  const text = `imageapi-variant-v1\n${image.sha256}\n${canonical(n)}`;
  return hex(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
}

export const variantEtag = (hash: string) => `"v-${hash}"`;

/** Every variant of an image lives under this prefix, so deleting or sweeping finds them all. */
export const variantPrefix = (storageKey: string) => `variants/${storageKey}/`;
export const variantKey = (storageKey: string, hash: string, format: VariantFormat) =>
  `${variantPrefix(storageKey)}${hash}.${VARIANT_FORMATS[format].extension}`;

/** The image storage key a variant key belongs to, or undefined for any other key. */
export function imageKeyOfVariant(key: string): string | undefined {
  if (!key.startsWith('variants/')) return undefined;
  const end = key.lastIndexOf('/');
  return end > 'variants/'.length ? key.slice('variants/'.length, end) : undefined;
}

/** Every stored variant key of an image, for deleting them with it. */
export async function storedVariantKeys(store: ServiceDeps['store'], storageKey: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.list({ prefix: variantPrefix(storageKey), cursor });
    keys.push(...page.objects.map((o) => o.key));
    cursor = page.cursor;
  } while (cursor);
  return keys;
}
