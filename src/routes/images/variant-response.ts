import type { Context } from 'hono';
import { parseAccept } from 'hono/utils/accept';
import type { AppEnv } from '../../http/app-env';
import { inlineDisposition } from '../../http/content-disposition';
import { etagMatches } from '../../http/range';
import type { ImageRecord } from '../../services/images';
import { type AcceptedFormats, openVariant, VARIANT_FORMATS, type VariantRequest } from '../../services/variants';

/**
 * What `format=auto` may answer: AVIF or WebP only when `Accept` names them with q > 0, as
 * browsers that decode them do. `image/*` and `*∕*` promise too little (old clients send them).
 */
export function acceptedFormats(header: string | undefined): AcceptedFormats {
  const listed = header ? parseAccept(header) : [];
  const takes = (type: string) => listed.some((a) => a.type.toLowerCase() === type && a.q > 0);
  return { avif: takes('image/avif'), webp: takes('image/webp') };
}

/** `photo.png` as a WebP variant is `photo.webp`. */
export function variantName(name: string, extension: string): string {
  const dot = name.lastIndexOf('.');
  return `${dot > 0 ? name.slice(0, dot) : name}.${extension}`;
}

/** A variant: 200 with its bytes, or 304. Ranges are not served for variants (`Accept-Ranges: none`). */
export async function variantResponse(
  c: Context<AppEnv>,
  image: ImageRecord,
  request: VariantRequest,
  cacheControl: string,
): Promise<Response> {
  const file = await openVariant(c.get('deps'), image, request, {
    accepts: acceptedFormats(c.req.header('accept')),
    notModified: (etag) => etagMatches(c.req.header('if-none-match'), etag),
  });
  // Appended: the CORS middleware may have said `Vary: Origin` already.
  if (file.variant.negotiated) c.header('Vary', 'Accept', { append: true });
  const headers: Record<string, string> = {
    ETag: file.etag,
    'Last-Modified': new Date(image.createdAt).toUTCString(),
    'Cache-Control': cacheControl,
    'Accept-Ranges': 'none',
    'X-Content-Type-Options': 'nosniff',
  };
  if (file.kind === 'not-modified') return c.body(null, 304, headers);
  const format = VARIANT_FORMATS[file.variant.format];
  headers['Content-Type'] = format.contentType;
  headers['Content-Length'] = String(file.size);
  headers['Content-Disposition'] = inlineDisposition(variantName(image.name, format.extension));
  return c.body(file.body, 200, headers);
}
