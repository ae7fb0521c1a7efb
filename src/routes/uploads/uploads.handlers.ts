import type { Context } from 'hono';
import { signingSecret } from '../../auth/middleware';
import { opensPart } from '../../auth/upload-part-token';
import type { AppEnv } from '../../http/app-env';
import { meterLimits } from '../../http/body';
import { MeteredReader } from '../../http/metered-body';
import { ProblemError } from '../../http/problem';
import { partLength, receivePart, sessionForPart } from '../../services/upload-sessions';

type PartContext = Context<AppEnv, string, { out: { param: { id: string; n: number }; query: { token: string } } }>;

/**
 * One part, streamed into the store: the token must open exactly this part of this session
 * before a byte is read, and the body must be exactly the part's length (a Content-Length that
 * says otherwise is refused unread; a body that turns out shorter or longer keeps nothing).
 */
export async function putPart(c: PartContext) {
  const { id, n } = c.req.valid('param');
  const { token } = c.req.valid('query');
  const deps = c.get('deps');
  const secret = signingSecret(deps);
  const row = await sessionForPart(deps, id, n);
  const size = partLength(row, n) as number;
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
  const part = await receivePart(deps, row, n, body, () => failure);
  return c.json({ number: part.number, size: part.size }, 200);
}
