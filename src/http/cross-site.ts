import type { MiddlewareHandler } from 'hono';
import { ProblemError } from './problem';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** What a browser sends for a request its own page (or the user, typing a URL) started. */
const FIRST_PARTY_FETCH_SITES = new Set(['same-origin', 'none']);

/**
 * Cross-site request protection, the policy of Go's `http.CrossOriginProtection`: a browser
 * always sends `Sec-Fetch-Site` or `Origin` on an unsafe request, so one that says it comes
 * from another site (and not from an origin in CORS_ORIGINS) is refused with 403. Requests
 * with neither header are not from a browser (scripts, existing clients) and go through.
 * Bearer-authenticated requests carry no ambient credential, so they are not judged at all.
 *
 * Every unsafe method is judged, whatever its Content-Type: `hono/csrf` judges only the form
 * types a page can send cross-site without a preflight, which leaves JSON bodies to CORS alone
 * (one allowlist mistake away from open).
 */
export function crossSiteProtection(allowedOrigins: readonly string[]): MiddlewareHandler {
  return async (c, next) => {
    if (SAFE_METHODS.has(c.req.method) || /^bearer\s/i.test(c.req.header('authorization') ?? '')) return next();
    const site = c.req.header('sec-fetch-site');
    const origin = c.req.header('origin');
    if (site === undefined && origin === undefined) return next();
    if (site !== undefined && FIRST_PARTY_FETCH_SITES.has(site)) return next();
    if (origin !== undefined && (origin === new URL(c.req.url).origin || allowedOrigins.includes(origin))) {
      return next();
    }
    throw new ProblemError(403, 'Cross-site request refused: pages on that origin may not send it.');
  };
}
