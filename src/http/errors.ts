import type { Context, ErrorHandler, Hono, NotFoundHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { methodNotAllowed } from 'hono/method-not-allowed';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { RETRY_AFTER_SECONDS, UnavailableError } from '../lib/unavailable';
import { DomainError } from '../services/errors';
import type { AppEnv } from './app-env';
import { problemFor } from './domain-problems';
import { ProblemError, problemResponse } from './problem';

/** The one place non-validation errors become problem details. */
export const onError: ErrorHandler<AppEnv> = (err, c) => {
  if (err instanceof DomainError) {
    const { status, detail, ...extra } = problemFor(err);
    return problemResponse(c, status, detail, extra);
  }
  if (err instanceof ProblemError) {
    return problemResponse(c, err.status as ContentfulStatusCode, err.detail, {
      errors: err.errors,
      headers: err.headers,
    });
  }
  if (err instanceof UnavailableError) {
    c.get('deps')?.logger.warn('dependency unavailable', {
      request_id: c.get('requestId'),
      dependency: err.dependencies.join(', '),
      timed_out: err.timedOut,
      error: err.cause instanceof Error ? `${err.cause.name}: ${err.cause.message}` : undefined,
    });
    return problemResponse(c, 503, `${err.message} Retry shortly.`, {
      headers: { 'Retry-After': String(RETRY_AFTER_SECONDS) },
    });
  }
  if (err instanceof HTTPException) {
    // Hono's own: malformed JSON/multipart bodies, csrf refusals, 415 from the media-type gate.
    const status = (err.status >= 400 ? err.status : 500) as ContentfulStatusCode;
    const detail = err.message || (status === 403 ? 'Cross-site request refused.' : undefined);
    return problemResponse(c, status, detail);
  }
  const requestId = c.get('requestId');
  const logger = c.get('deps')?.logger;
  const fields = {
    request_id: requestId,
    method: c.req.method,
    path: c.req.path,
    error: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
    stack: err instanceof Error ? err.stack : undefined,
  };
  if (logger) logger.error('unhandled error', fields);
  else console.error(JSON.stringify({ level: 'error', message: 'unhandled error', ...fields }));
  return problemResponse(c, 500, `An unexpected error occurred. Quote request id ${requestId} when reporting it.`);
};

/** Unknown path → 404, in the problem shape every error has. */
export const notFound: NotFoundHandler<AppEnv> = (c) => problemResponse(c, 404, `No resource at ${c.req.path}.`);

/**
 * A known path asked with another method → 405 with `Allow`, by Hono's own middleware (built
 * from the app's route table, so it cannot drift from the routes), answered as a problem. Every
 * path also answers OPTIONS (CORS preflights on /api), so `Allow` names it and an OPTIONS
 * request stays the 404 it is where nothing else answers it.
 */
export const methodNotAllowedProblem = (app: Hono<AppEnv>) =>
  methodNotAllowed({
    app,
    onMethodNotAllowed: (c: Context<AppEnv>, methods: string[]) => {
      if (c.req.method === 'OPTIONS') return notFound(c);
      // HEAD after the methods the routes name, as a GET route implies it.
      const named = methods.filter((m) => m !== 'HEAD');
      const allowed = [...named, ...(named.includes('GET') ? ['HEAD'] : []), 'OPTIONS'].join(', ');
      return problemResponse(c, 405, `${c.req.method} is not allowed here. Allowed: ${allowed}.`, {
        headers: { Allow: allowed },
      });
    },
  });
