import type { z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { AppEnv } from './app-env';
import { ProblemError } from './problem';

const FORM = /^application\/x-www-form-urlencoded\b/i;
const MULTIPART = /^multipart\/form-data\b/i;

/** Repeated keys become arrays (`tags=a&tags=b`), single keys stay strings. */
export function formToObject(text: string): Record<string, string | string[]> {
  const params = new URLSearchParams(text);
  const out: Record<string, string | string[]> = {};
  for (const key of new Set(params.keys())) {
    const all = params.getAll(key);
    out[key] = all.length === 1 ? (all[0] as string) : all;
  }
  return out;
}

/** Strictly JSON, optionally with a charset: a looser value (`application/json, text/plain`) would
 * pass here but fail zod-openapi's own media-type test, which then skips validation. */
const JSON_TYPE = /^application\/json\s*(;\s*charset\s*=\s*"?[^";\s]+"?\s*)?$/i;
const CHARSET = /;\s*charset\s*=\s*"?([^";\s]+)"?/i;
const UTF8 = /^utf-?8$/i;
const EITHER = 'Send the body as application/json or application/x-www-form-urlencoded';

/**
 * Lets one JSON schema validate form bodies too: existing clients post
 * `application/x-www-form-urlencoded`, so the form is re-expressed as JSON before validation.
 * A request with no body at all is validated as `{}`, so the problem names the missing fields.
 * Anything else is refused here with 415: zod-openapi would skip validation for a media type
 * the route does not declare and hand the handler nothing.
 */
export const formAsJson: MiddlewareHandler = async (c, next) => {
  const raw = c.req.raw;
  const type = raw.headers.get('content-type');
  // zod-openapi's media-type gate counts multipart as a form type, but only the JSON body is
  // validated and handed to the handler: a multipart body would arrive as `{}`. Refuse it.
  if (MULTIPART.test(type ?? '')) throw new ProblemError(415, `${EITHER}.`);
  const charset = CHARSET.exec(type ?? '')?.[1];
  // Bodies are decoded as UTF-8 only; guessing another charset would store mojibake.
  if (charset !== undefined && !UTF8.test(charset)) {
    throw new ProblemError(415, `The charset ${JSON.stringify(charset)} is not supported: send UTF-8.`);
  }
  const isForm = FORM.test(type ?? '');
  if (type !== null && !isForm && !JSON_TYPE.test(type)) throw new ProblemError(415, `${EITHER}.`);
  if (type === null) {
    const text = raw.body === null ? '' : new TextDecoder().decode(await raw.arrayBuffer());
    if (text.trim() !== '') throw new ProblemError(415, `The body has no Content-Type. ${EITHER}.`);
  }
  if (type === null || isForm) {
    // Decoded by hand: workerd warns when .text() reads a body whose type is not text.
    const body = isForm ? JSON.stringify(formToObject(new TextDecoder().decode(await raw.arrayBuffer()))) : '{}';
    const headers = new Headers(raw.headers);
    headers.set('content-type', 'application/json');
    headers.delete('content-length');
    c.req.raw = new Request(raw.url, { method: raw.method, headers, body });
  }
  await next();
};

/** A body limit that answers with a problem, refusing from Content-Length before reading. */
export const limitBody = (maxSize: number): MiddlewareHandler =>
  bodyLimit({
    maxSize,
    onError: () => {
      throw new ProblemError(413, `The request body exceeds the limit of ${maxSize} bytes.`);
    },
  });

/**
 * The request body for endpoints that take JSON or an HTML-style form, used with `formAsJson`.
 * Declared `required: false` only so zod-openapi validates just the media type that was sent;
 * `formAsJson` makes the body effectively required and the published document says so
 * (see `markJsonOrFormBodiesRequired`).
 */
export function jsonOrFormBody<S extends z.ZodType>(schema: S, description: string) {
  return {
    required: false,
    description,
    content: {
      'application/json': { schema },
      'application/x-www-form-urlencoded': { schema },
    },
  };
}

/** Small JSON/form bodies (credentials, tag lists) never need more than this. */
export const SMALL_BODY_BYTES = 64 * 1024;
export const SMALL_BODY_LIMIT = limitBody(SMALL_BODY_BYTES);

/** Room for multipart boundaries, part headers and the tags field around the image itself. */
export const MULTIPART_OVERHEAD_BYTES = 64 * 1024;

/**
 * The upload limit from config, refused from Content-Length before the body is read. A body
 * without one is counted as it streams (readUploadBody): buffering it to count would defeat
 * the streaming.
 */
export const limitUpload: MiddlewareHandler<AppEnv> = (c, next) => {
  const max = c.get('deps').config.maxUploadBytes;
  const length = c.req.raw.headers.get('content-length');
  if (
    length !== null &&
    !c.req.raw.headers.has('transfer-encoding') &&
    Number(length) > max + MULTIPART_OVERHEAD_BYTES
  ) {
    throw new ProblemError(413, `The upload exceeds the limit of ${max} bytes.`);
  }
  return next();
};
