import type { MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import type { AppEnv } from '../http/app-env';
import { ProblemError } from '../http/problem';
import { AUTH_COOKIE, clearAuthCookie } from './cookie';
import { readToken } from './token';

const CHALLENGE = { 'WWW-Authenticate': 'Bearer realm="imageapi"' };

export const unauthorized = (detail = 'Authentication required: send the auth_token cookie or a bearer token.') =>
  new ProblemError(401, detail, { headers: CHALLENGE });

/** Refuses to run without a usable signing secret: never falls back to a built-in one. */
export function signingSecret(deps: AppEnv['Variables']['deps']): string {
  const { authSecret, authSecretProblem } = deps.config;
  if (authSecret) return authSecret;
  deps.logger.error('authentication is unavailable', { reason: authSecretProblem });
  throw new ProblemError(500, 'Authentication is not configured on this server.');
}

/**
 * Accepts a bearer token or the auth_token cookie and puts the session it names on the
 * context. The token version is checked against the database by the services, in the same
 * database call as the request's own read, so a read costs one round trip.
 */
export const requireAuth: MiddlewareHandler<AppEnv> = async (c, next) => {
  const deps = c.get('deps');
  const secret = signingSecret(deps);
  const header = c.req.header('authorization');
  let token: string | undefined;
  if (header !== undefined && /^Bearer(\s|$)/i.test(header)) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) throw unauthorized('The Authorization header must be "Bearer <token>".');
    token = match[1];
  } else {
    // Another scheme (say Basic, added by a proxy in front of the API) is not meant for us:
    // the cookie still decides.
    token = getCookie(c, AUTH_COOKIE);
  }
  if (!token) throw unauthorized();
  const session = await readToken(secret, token, deps.clock());
  if (!session) throw unauthorized('The token is invalid or has expired.');
  c.set('session', session);
  await next();
};

/**
 * For logout, placed before `requireAuth`: a browser whose cookie no longer names a live
 * session (revoked elsewhere, expired, garbage) still gets it cleared along with the 401, so
 * logging out always leaves it logged out.
 */
export const clearStaleCookie: MiddlewareHandler<AppEnv> = async (c, next) => {
  await next();
  const cookieAuthenticated = !/^Bearer(\s|$)/i.test(c.req.header('authorization') ?? '');
  if (c.res.status === 401 && cookieAuthenticated && getCookie(c, AUTH_COOKIE) !== undefined) {
    clearAuthCookie(c, c.get('deps').config);
  }
};
