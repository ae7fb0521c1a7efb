import type { MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';

/**
 * CORS for the configured origins only (CORS_ORIGINS), with credentials. Hono's cors sends
 * `Access-Control-Allow-Credentials`, the allowed methods and the exposed headers to every
 * origin and leaves only `Access-Control-Allow-Origin` out for the others; here an origin that
 * is not allowed (or a request with no `Origin`) gets no CORS header at all. Preflights from
 * anyone still answer 204, as before, so a refusal looks the same as an empty allowlist.
 */
export function corsAllowlist(allowedOrigins: readonly string[]): MiddlewareHandler {
  const allowed = cors({
    origin: (origin) => origin,
    credentials: true,
    // x-d1-bookmark: D1 read replication's read-your-writes token (src/db/d1-session.ts).
    allowHeaders: ['Content-Type', 'Authorization', 'If-None-Match', 'Range', 'X-D1-Bookmark'],
    exposeHeaders: ['ETag', 'Location', 'Content-Range', 'Content-Disposition', 'X-Request-Id', 'X-D1-Bookmark'],
    maxAge: 600,
  });
  return async (c, next) => {
    const origin = c.req.header('origin');
    if (origin !== undefined && allowedOrigins.includes(origin)) return allowed(c, next);
    // The answer depends on the Origin header: caches must keep one per origin.
    if (c.req.method === 'OPTIONS') return c.body(null, 204, { Vary: 'Origin' });
    await next();
    // On the response itself: `c.header` after the handler would rebuild the response (on Node
    // that turns a string body, written in one go, into a stream).
    c.res.headers.append('Vary', 'Origin');
  };
}
