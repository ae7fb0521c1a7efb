import type { Context, MiddlewareHandler } from 'hono';
import type { AppEnv } from '../../http/app-env';
import { bodyReader, meterLimits, refuseDeclaredLength } from '../../http/body';
import { MeteredReader } from '../../http/metered-body';
import { MultipartReader, multipartBoundary } from '../../http/multipart-parts';
import { ProblemError } from '../../http/problem';
import { uploadSlotsFor } from '../../http/upload-slots';
import { MULTIPART_OVERHEAD_BYTES } from '../../limits';
import * as images from '../../services/images';
import { addressGroup } from '../../services/login-throttle';
import { type ReceivedImage, receiveImage } from '../../services/upload-stream';

const NOT_MULTIPART = 'Send the image as multipart/form-data with an `image` file part.';

/**
 * The upload routes' body reader (http/body.ts says what every reader does, in order). Only
 * multipart/form-data is read: any other type is refused unread, as is a multipart type without
 * a boundary. The caller is proven, and whether one more image fits is checked, before the first
 * byte; then the upload takes one of its user's and its address's slots (http/upload-slots.ts).
 *
 * The body is read as a stream: the `image` file part goes straight into the store
 * (receiveImage) while the other fields are collected. The route's zod form schema then
 * validates what arrived exactly as before: it is handed the fields with a stand-in `File` (no
 * bytes) for each file part, through the form cache the validator reads first, so error shapes
 * and the published document do not change. Bytes stored for a form that then fails validation
 * are deleted here; once the handler passes them to uploadImage, that is its job.
 *
 * A request with no body at all is left to the validator, which names the missing `image`.
 */
export const readUploadBody = (policy: 'strict' | 'legacy'): MiddlewareHandler<AppEnv> =>
  bodyReader(async (c, next) => {
    const raw = c.req.raw;
    const contentType = raw.headers.get('content-type');
    if (raw.body === null && contentType === null) return validateEmpty(c, next);
    if (!/^multipart\/form-data\b/i.test(contentType ?? '')) throw new ProblemError(415, NOT_MULTIPART);
    if (!multipartBoundary(contentType)) {
      throw new ProblemError(400, 'The multipart body is malformed: its Content-Type has no boundary.');
    }
    if (raw.body === null) return validateEmpty(c, next);
    const deps = c.get('deps');
    const max = deps.config.maxUploadBytes;
    const tooLarge = `The upload exceeds the limit of ${max} bytes.`;
    refuseDeclaredLength(raw, max + MULTIPART_OVERHEAD_BYTES, tooLarge);
    // Who is asking, and whether any image may be stored now, before a byte is read: a forged
    // key, a revoked session or a full image count never streams into the store. The size is
    // not known yet; the row batch judges the bytes exactly once it is.
    const session = c.get('session');
    await images.mayUpload(deps, session);
    // By the address's group, as login throttling counts it: an IPv6 client holds a whole /64.
    const address = deps.clientAddress(raw, c.env);
    const release = uploadSlotsFor(deps.config).take(
      session.userId,
      address === undefined ? undefined : addressGroup(address),
    );
    try {
      await receiveForm(
        c,
        policy,
        new MeteredReader(raw.body, meterLimits(deps.config, max + MULTIPART_OVERHEAD_BYTES, tooLarge)),
        next,
      );
    } finally {
      release();
    }
  });

/** No body: the validator is handed an empty form (and names the missing image), never the request. */
function validateEmpty(c: Context<AppEnv>, next: () => Promise<void>): Promise<void> {
  c.req.bodyCache.formData = Promise.resolve(new FormData()) as unknown as FormData;
  return next();
}

async function receiveForm(
  c: Context<AppEnv>,
  policy: 'strict' | 'legacy',
  body: MeteredReader,
  next: () => Promise<void>,
): Promise<void> {
  const deps = c.get('deps');
  const reader = new MultipartReader(body, c.req.raw.headers.get('content-type') ?? '');
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
}

/** The image part readUploadBody received; validation has already proved there was one. */
export function receivedImage(c: Context<AppEnv>): ReceivedImage {
  const image = c.get('upload');
  if (!image) throw new Error('readUploadBody did not run before this upload handler');
  return image;
}
