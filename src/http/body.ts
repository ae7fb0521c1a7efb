import type { RouteConfig, z } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import type { Config } from '../config';
import { SMALL_BODY_BYTES } from '../limits';
import { verifySession } from '../services/session';
import type { AppEnv } from './app-env';
import { type BodyMeterLimits, readWhole } from './metered-body';
import { ProblemError } from './problem';

/**
 * The one way a request body is read. Every route that declares a body carries one of the
 * readers made by `bodyReader` (no router accepts it otherwise, see `assertReadsItsBody`), and
 * each reader, in this order:
 * 1. refuses a media type the route does not take, before reading (415);
 * 2. refuses a declared Content-Length over the route's limit, before reading (413);
 * 3. on an authenticated route, authenticates the caller before reading (401): an API key is
 *    looked up in the database; a token is proven by its signature;
 * 4. reads through a MeteredReader, which counts bytes as they arrive, chunked or not, against
 *    the route's limit (413) and refuses a client that stalls or trickles (408).
 */
const BODY_READERS = new WeakSet<object>();

/** Marks `reader` as a body reader for the check at app build. */
export function bodyReader<M extends MiddlewareHandler<AppEnv>>(reader: M): M {
  BODY_READERS.add(reader);
  return reader;
}

/** The limits a reader meters a body with: the route's size, the server's patience. */
export function meterLimits(config: Config, maxBytes: number, tooLarge: string): BodyMeterLimits {
  return {
    maxBytes,
    tooLarge,
    idleMs: config.bodyIdleMs,
    minBytesPerSecond: config.bodyMinBytesPerSecond,
    maxMs: config.bodyMaxMs,
  };
}

/** Step 2: the client's own statement of its size, judged before a byte is read. */
export function refuseDeclaredLength(request: Request, maxBytes: number, tooLarge: string): void {
  const length = request.headers.get('content-length');
  if (length !== null && !request.headers.has('transfer-encoding') && Number(length) > maxBytes) {
    throw new ProblemError(413, tooLarge);
  }
}

/**
 * Step 3: on a route behind requireAuth, the caller is authenticated before its body is read. A
 * token's signature already proves it was issued here (whether it was since revoked is checked
 * with the request's own statement); an API key is only a well-shaped string until the database
 * has its hash, so it is looked up first.
 */
export async function authenticateBeforeReading(c: Context<AppEnv>): Promise<void> {
  const session = c.get('session') as AppEnv['Variables']['session'] | undefined;
  if (session?.kind === 'key') await verifySession(c.get('deps'), session);
}

/**
 * Called for every route as it is registered (http/router.ts): a route that declares a body and
 * has no body reader among its middleware would hand the body to zod-openapi's validator, which
 * reads it whole, unmetered, before anyone checked who sent it. Such an app does not start.
 */
export function assertReadsItsBody(route: RouteConfig): void {
  if (route.request?.body === undefined) return;
  const middleware = [route.middleware ?? []].flat();
  if (!middleware.some((m) => BODY_READERS.has(m))) {
    throw new Error(`${route.method.toUpperCase()} ${route.path} declares a body but no body reader (http/body.ts)`);
  }
}

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

const FORM = /^application\/x-www-form-urlencoded\b/i;
const MULTIPART = /^multipart\/form-data\b/i;
/** Strictly JSON, optionally with a charset: a looser value (`application/json, text/plain`) would
 * pass here but fail zod-openapi's own media-type test, which then skips validation. */
const JSON_TYPE = /^application\/json\s*(;\s*charset\s*=\s*"?[^";\s]+"?\s*)?$/i;
const CHARSET = /;\s*charset\s*=\s*"?([^";\s]+)"?/i;
const UTF8 = /^utf-?8$/i;
const EITHER = 'Send the body as application/json or application/x-www-form-urlencoded';
const JSON_ONLY = 'Send the body as application/json';

const tooLargeSmall = `The request body exceeds the limit of ${SMALL_BODY_BYTES} bytes.`;

/** Steps 2–4 for a small body: the whole of it, as text. */
async function readSmallText(c: Context<AppEnv>): Promise<string> {
  const raw = c.req.raw;
  refuseDeclaredLength(raw, SMALL_BODY_BYTES, tooLargeSmall);
  await authenticateBeforeReading(c);
  if (raw.body === null) return '';
  const bytes = await readWhole(raw.body, meterLimits(c.get('deps').config, SMALL_BODY_BYTES, tooLargeSmall));
  return new TextDecoder().decode(bytes);
}

/** The request the validator reads: the body already read, as JSON. */
function replaceWithJson(c: Context<AppEnv>, json: string): void {
  const raw = c.req.raw;
  const headers = new Headers(raw.headers);
  headers.set('content-type', 'application/json');
  headers.delete('content-length');
  headers.delete('transfer-encoding');
  c.req.raw = new Request(raw.url, { method: raw.method, headers, body: json });
}

/** Step 1 for JSON: only UTF-8 is read; guessing another charset would store mojibake. */
function refuseCharset(type: string | null): void {
  const charset = CHARSET.exec(type ?? '')?.[1];
  if (charset !== undefined && !UTF8.test(charset)) {
    throw new ProblemError(415, `The charset ${JSON.stringify(charset)} is not supported: send UTF-8.`);
  }
}

/**
 * Lets one JSON schema validate form bodies too: existing clients post
 * `application/x-www-form-urlencoded`, so the form is re-expressed as JSON before validation.
 * A request with no body at all is validated as `{}`, so the problem names the missing fields.
 * Anything else is refused here with 415: zod-openapi would skip validation for a media type
 * the route does not declare and hand the handler nothing (multipart included, which its gate
 * counts as a form type).
 */
export const readJsonOrForm = bodyReader<MiddlewareHandler<AppEnv>>(async (c, next) => {
  const type = c.req.raw.headers.get('content-type');
  if (MULTIPART.test(type ?? '')) throw new ProblemError(415, `${EITHER}.`);
  refuseCharset(type);
  const isForm = FORM.test(type ?? '');
  if (type !== null && !isForm && !JSON_TYPE.test(type)) throw new ProblemError(415, `${EITHER}.`);
  const text = await readSmallText(c);
  if (type === null && text.trim() !== '') throw new ProblemError(415, `The body has no Content-Type. ${EITHER}.`);
  replaceWithJson(c, isForm ? JSON.stringify(formToObject(text)) : type === null ? '{}' : text);
  await next();
});

/** A JSON body only; no body at all (or an empty one without a type) is validated as `{}`. */
export const readJson = bodyReader<MiddlewareHandler<AppEnv>>(async (c, next) => {
  const type = c.req.raw.headers.get('content-type');
  if (type !== null && !JSON_TYPE.test(type)) throw new ProblemError(415, `${JSON_ONLY}.`);
  refuseCharset(type);
  const text = await readSmallText(c);
  if (type === null && text.trim() !== '') throw new ProblemError(415, `The body has no Content-Type. ${JSON_ONLY}.`);
  replaceWithJson(c, type === null ? '{}' : text);
  await next();
});

/**
 * The request body for endpoints that take JSON or an HTML-style form, used with `readJsonOrForm`.
 * Declared `required: false` only so zod-openapi validates just the media type that was sent;
 * `readJsonOrForm` makes the body effectively required and the published document says so
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
