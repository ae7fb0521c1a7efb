import type { MiddlewareHandler } from 'hono';
import { secureHeaders } from 'hono/secure-headers';

type SecureHeadersOptions = NonNullable<Parameters<typeof secureHeaders>[0]>;
export type ContentSecurityPolicy = NonNullable<SecureHeadersOptions['contentSecurityPolicy']>;

/**
 * API responses (JSON, problems, image bytes) are never meant to be rendered as a page: nothing
 * may load from them, and nothing may frame them. A browser that opens one directly still shows it.
 */
export const API_CSP: ContentSecurityPolicy = {
  defaultSrc: ["'none'"],
  frameAncestors: ["'none'"],
};

/** The same set on every response; only the Content-Security-Policy differs by kind of page. */
const COMMON: SecureHeadersOptions = {
  // Same-site, not same-origin: an app on a sibling subdomain may show the images.
  crossOriginResourcePolicy: 'same-site',
  // `frame-ancestors 'none'` for browsers that still read only the older header.
  xFrameOptions: 'DENY',
};

/**
 * Hono's secureHeaders with the project's settings. App-wide (`keep: true`) it applies to every
 * response, whatever produced it (a route, the validation hook, `onError`, `notFound`, a CORS
 * preflight), but keeps a header a route already set; a route with a page of its own (the docs)
 * applies `securityHeaders(itsCsp)` before its handler, and that policy is the one sent.
 */
export function securityHeaders(csp: ContentSecurityPolicy, { keep = false } = {}): MiddlewareHandler {
  return secureHeaders({ ...COMMON, contentSecurityPolicy: csp, overwrite: !keep });
}
