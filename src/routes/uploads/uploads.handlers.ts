import { opensPart } from '../../auth/upload-part-token';
import { signingSecret } from '../../http/auth-middleware';
import { meterLimits } from '../../http/body';
import { MeteredReader } from '../../http/metered-body';
import { ProblemError } from '../../http/problem';
import type { AppRouteHandler } from '../../http/router';
import * as sessions from '../../services/upload-sessions';
import { imagePath, v1Image } from '../images/images.present';
import { uploadPath, uploadSession } from './uploads.present';
import type * as r from './uploads.routes';

export const createUpload: AppRouteHandler<typeof r.createUpload> = async (c) => {
  const deps = c.get('deps');
  const body = c.req.valid('json');
  const view = await sessions.createUploadSession(deps, c.get('session'), signingSecret(deps), {
    fileName: body.file_name,
    contentType: body.content_type,
    size: body.size,
    ...(body.sha256 ? { sha256: body.sha256 } : {}),
    tags: body.tags,
  });
  c.header('Location', uploadPath(view.session.id));
  return c.json(uploadSession(view), 201);
};

export const getUpload: AppRouteHandler<typeof r.getUpload> = async (c) => {
  const deps = c.get('deps');
  const view = await sessions.getUploadSession(deps, c.get('session'), signingSecret(deps), c.req.valid('param').id);
  return c.json(uploadSession(view), 200);
};

export const abortUpload: AppRouteHandler<typeof r.abortUpload> = async (c) => {
  await sessions.abortUploadSession(c.get('deps'), c.get('session'), c.req.valid('param').id);
  return c.body(null, 204);
};

/** 201 when this request made the image; 200 with the same image once it exists (idempotent). */
export const completeUpload: AppRouteHandler<typeof r.completeUpload> = async (c) => {
  const { image, created } = await sessions.completeUploadSession(
    c.get('deps'),
    c.get('session'),
    c.req.valid('param').id,
    c.req.valid('query').on_duplicate,
  );
  if (!created) return c.json(v1Image(image), 200);
  c.set('uploadedBytes', image.size);
  c.header('Location', imagePath(image.id));
  return c.json(v1Image(image), 201);
};

/**
 * One part, streamed into the store: the token must open exactly this part of this session
 * before a byte is read, and the body must be exactly the part's length (a Content-Length that
 * says otherwise is refused unread; a body that turns out shorter or longer keeps nothing).
 */
export const putPart: AppRouteHandler<typeof r.putPart> = async (c) => {
  const { id, n } = c.req.valid('param');
  const { token } = c.req.valid('query');
  const deps = c.get('deps');
  const secret = signingSecret(deps);
  const row = await sessions.sessionForPart(deps, id, n);
  const size = sessions.partLength(row, n) as number;
  if (!(await opensPart(secret, token, { uploadId: id, partNumber: n, size }, deps.clock().getTime()))) {
    throw new ProblemError(403, 'The token does not open this part, or it expired: GET the upload for a fresh URL.');
  }
  const raw = c.req.raw;
  const exactly = `This part must be exactly ${size} bytes.`;
  const declared = raw.headers.get('content-length');
  if (declared !== null && !raw.headers.has('transfer-encoding') && Number(declared) !== size) {
    throw new ProblemError(Number(declared) > size ? 413 : 400, `${exactly} Content-Length says ${declared}.`);
  }
  if (raw.body === null) throw new ProblemError(400, `${exactly} The request has no body.`);
  const meter = new MeteredReader(raw.body, meterLimits(deps.config, size, exactly));
  let failure: unknown;
  const body = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const r = await meter.read();
          if (!r.done) return controller.enqueue(r.value);
          if (meter.bytesRead < size) {
            throw new ProblemError(400, `The part ended after ${meter.bytesRead} of its ${size} bytes: send it again.`);
          }
          controller.close();
        } catch (err) {
          failure ??= err;
          controller.error(err);
        }
      },
      cancel: (reason) => meter.cancel(reason),
    },
    { highWaterMark: 0 },
  );
  const part = await sessions.receivePart(deps, row, n, body, () => failure);
  return c.json({ number: part.number, size: part.size }, 200);
};
