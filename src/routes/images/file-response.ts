import type { Context } from 'hono';
import type { AppEnv } from '../../http/app-env';
import { imageServingHeaders } from '../../http/image-headers';
import { ProblemError } from '../../http/problem';
import { etagMatches, parseRange } from '../../http/range';
import { getImage, type ImageRecord, imageEtag, openImageFile } from '../../services/images';
import { isVariantRequest, type VariantRequest } from '../../services/variants';
import { variantResponse } from './variant-response';

/** Ids are never reused and an image's bytes never change. */
export const PRIVATE_IMMUTABLE = 'private, max-age=31536000, immutable';

/** The owner's fetch: the original, or the variant the query names (v1 only). */
export async function imageFileResponse(
  c: Context<AppEnv>,
  imageId: number,
  variant: VariantRequest = {},
): Promise<Response> {
  const image = await getImage(c.get('deps'), c.get('session'), imageId);
  return serveImage(c, image, { variant, cacheControl: PRIVATE_IMMUTABLE });
}

/**
 * Streams an image: 200 whole, 206 for a satisfiable `Range`, 304 for a matching
 * `If-None-Match`, 416 for a range past the end. The body is the store's stream, never buffered
 * (or the bytes, when the store read a small object in one go).
 * With variant parameters, the variant instead (variant-response.ts). Share links call this too.
 */
export async function serveImage(
  c: Context<AppEnv>,
  image: ImageRecord,
  options: { variant: VariantRequest; cacheControl: string },
): Promise<Response> {
  if (isVariantRequest(options.variant)) return variantResponse(c, image, options.variant, options.cacheControl);
  const file = await openImageFile(c.get('deps'), image, {
    notModified: (etag) => etagMatches(c.req.header('if-none-match'), etag),
    range: (size, etag) => {
      const ifRange = c.req.header('if-range');
      // A stale If-Range validator means "send it all".
      if (ifRange !== undefined && ifRange.trim() !== etag) return undefined;
      return parseRange(c.req.header('range'), size);
    },
  });
  const headers: Record<string, string> = {
    ETag: imageEtag(image),
    'Last-Modified': new Date(image.createdAt).toUTCString(),
    'Cache-Control': options.cacheControl,
    'Accept-Ranges': 'bytes',
    // On the 304 too, so a cache that refreshes its stored headers from it keeps them.
    ...imageServingHeaders(image),
  };
  if (file.kind === 'not-modified') return c.body(null, 304, headers);
  if (file.kind === 'unsatisfiable') {
    throw new ProblemError(416, `The image is ${image.size} bytes.`, {
      headers: { 'Content-Range': `bytes */${image.size}` },
    });
  }
  const { object } = file;
  // HEAD runs this handler and drops the body unread: cancel it so the store releases the file.
  const head = c.req.method === 'HEAD';
  if (head && !object.bytes) await object.body.cancel();
  headers['Content-Type'] = image.contentType;
  // Decided from what was asked, not from what the store reports.
  if (object.range) {
    const { offset, length } = object.range;
    headers['Content-Range'] = `bytes ${offset}-${offset + length - 1}/${image.size}`;
    headers['Content-Length'] = String(length);
    return head ? c.body(null, 206, headers) : c.body(object.bytes ?? object.body, 206, headers);
  }
  headers['Content-Length'] = String(image.size);
  return head ? c.body(null, 200, headers) : c.body(object.bytes ?? object.body, 200, headers);
}
