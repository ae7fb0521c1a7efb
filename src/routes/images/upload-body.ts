import type { Context, MiddlewareHandler } from 'hono';
import type { AppEnv } from '../../http/app-env';
import { MULTIPART_OVERHEAD_BYTES } from '../../http/body';
import { MultipartReader, multipartBoundary } from '../../http/multipart-parts';
import * as images from '../../services/images';
import { type ReceivedImage, receiveImage } from '../../services/upload-stream';

/** The largest non-file field read into memory; the tags field is a few KiB at most. */
const MAX_FIELD_BYTES = 1024 * 1024;

/**
 * Reads an upload's multipart body as a stream: the `image` file part goes straight into the
 * store (receiveImage) while the other fields are collected. The route's zod form schema then
 * validates what arrived exactly as before: it is handed the fields with a stand-in `File` (no
 * bytes) for each file part, through the form cache the validator reads first, so error shapes
 * and the published document do not change. Bytes stored for a form that then fails validation
 * are deleted here; once the handler passes them to uploadImage, that is its job.
 *
 * A body that is not multipart is left to the validator and its media-type gate, as before.
 */
export const readUploadBody =
  (policy: 'strict' | 'legacy'): MiddlewareHandler<AppEnv> =>
  async (c, next) => {
    const raw = c.req.raw;
    const contentType = raw.headers.get('content-type');
    if (!contentType || !multipartBoundary(contentType) || !raw.body) return next();
    const deps = c.get('deps');
    // Who is asking, and whether any image may be stored now, before a byte is read: a revoked
    // session or a full image count never streams into the store. The size is not known yet;
    // the row batch judges the bytes exactly once it is.
    await images.mayUpload(deps, c.get('session'));
    const max = deps.config.maxUploadBytes;
    const reader = new MultipartReader(raw.body, contentType, {
      maxBodyBytes: max + MULTIPART_OVERHEAD_BYTES,
      maxFieldBytes: MAX_FIELD_BYTES,
      tooLarge: `The upload exceeds the limit of ${max} bytes.`,
    });
    const form = new FormData();
    let image: ReceivedImage | undefined;
    try {
      for (let part = await reader.next(); part; part = await reader.next()) {
        if (part.kind === 'field') {
          form.append(part.name, part.value);
          continue;
        }
        form.append(part.name, new File([], part.filename));
        // Only the first image part is kept; any other file part is read past unstored, and a
        // second image part fails validation as it always did.
        if (part.name === 'image' && !image) image = await receiveImage(deps, part, policy);
        else await part.body.cancel();
      }
    } catch (err) {
      await reader.cancel(err);
      if (image) await images.discardReceived(deps, image);
      throw err;
    }
    // The validator reads this cache before it would parse the body itself.
    c.req.bodyCache.formData = Promise.resolve(form) as unknown as FormData;
    c.set('upload', image);
    try {
      await next();
    } finally {
      if (image) await images.discardReceived(deps, image);
    }
  };

/** The image part readUploadBody received; validation has already proved there was one. */
export function receivedImage(c: Context<AppEnv>): ReceivedImage {
  const image = c.get('upload');
  if (!image) throw new Error('readUploadBody did not run before this upload handler');
  return image;
}
