import type { MiddlewareHandler } from 'hono';
import { csrf } from 'hono/csrf';

/**
 * Cross-site request protection that judges browsers by the headers they send and lets
 * header-less requests through (scripts and existing clients send neither `Origin` nor
 * `Sec-Fetch-Site`; browsers always send one on unsafe requests). Bearer-authenticated
 * requests carry no ambient credential, so they are not judged at all.
 */
export function crossSiteProtection(allowedOrigins: readonly string[]): MiddlewareHandler {
  const check = csrf({
    origin: (origin, c) => origin === new URL(c.req.url).origin || allowedOrigins.includes(origin),
    secFetchSite: ['same-origin', 'none'],
  });
  return async (c, next) => {
    const judged = c.req.header('origin') !== undefined || c.req.header('sec-fetch-site') !== undefined;
    const bearer = /^bearer\s/i.test(c.req.header('authorization') ?? '');
    if (!judged || bearer) return next();
    return check(c, next);
  };
}
