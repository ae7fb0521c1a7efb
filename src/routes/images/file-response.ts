import type { Context } from 'hono';
import type { AppEnv } from '../../http/app-env';
import { imageServingHeaders } from '../../http/image-headers';
import { ProblemError } from '../../http/problem';
import { etagMatches, parseRange } from '../../http/range';
import { etagOf, openImageFile } from '../../services/images';

/**
 * Streams an image: 200 whole, 206 for a satisfiable `Range`, 304 for a matching
 * `If-None-Match`, 416 for a range past the end. The body is the store's stream, never buffered.
 */
export async function imageFileResponse(c: Context<AppEnv>, imageId: number): Promise<Response> {
  const file = await openImageFile(c.get('deps'), c.get('session'), imageId, {
    notModified: (etag) => etagMatches(c.req.header('if-none-match'), etag),
    range: (size, etag) => {
      const ifRange = c.req.header('if-range');
      // A stale If-Range validator means "send it all".
      if (ifRange !== undefined && ifRange.trim() !== etag) return undefined;
      return parseRange(c.req.header('range'), size);
    },
  });
  const { image } = file;
  const headers: Record<string, string> = {
    ETag: etagOf(image),
    'Last-Modified': new Date(image.createdAt).toUTCString(),
    // Ids are never reused and an image's bytes never change.
    'Cache-Control': 'private, max-age=31536000, immutable',
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
  if (head) await object.body.cancel();
  headers['Content-Type'] = image.contentType;
  // Decided from what was asked, not from what the store reports.
  if (object.range) {
    const { offset, length } = object.range;
    headers['Content-Range'] = `bytes ${offset}-${offset + length - 1}/${image.size}`;
    headers['Content-Length'] = String(length);
    return head ? c.body(null, 206, headers) : c.body(object.body, 206, headers);
  }
  headers['Content-Length'] = String(image.size);
  return head ? c.body(null, 200, headers) : c.body(object.body, 200, headers);
}
