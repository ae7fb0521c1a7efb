import type { MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import { looksLikeApiKey, parseApiKey } from '../auth/api-key';
import { AUTH_COOKIE, clearAuthCookie } from '../auth/cookie';
import { readToken } from '../auth/token';
import type { Session } from '../lib/session';
import { touchApiKey } from '../services/api-keys';
import { Forbidden, Misconfigured, Unauthenticated } from '../services/errors';
import { afterResponse } from './after-response';
import type { AppEnv } from './app-env';

const NO_CREDENTIALS = 'Authentication required: send the auth_token cookie or a bearer token.';

/** Methods that change nothing: a read-only API key may use them. */
const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Refuses to run without a usable signing secret: never falls back to a built-in one. */
export function signingSecret(deps: AppEnv['Variables']['deps']): string {
  const { authSecret, authSecretProblem } = deps.config;
  if (authSecret) return authSecret;
  deps.logger.error('authentication is unavailable', { reason: authSecretProblem });
  throw new Misconfigured('Authentication is not configured on this server.');
}

/**
 * Accepts a bearer token, an API key as a bearer token, or the auth_token cookie, and puts the
 * session it names on the context. The token version, or the key's existence, expiry and scope,
 * are checked against the database by the services, in the same database call as the request's
 * own read, so a read costs one round trip either way.
 */
export const requireAuth: MiddlewareHandler<AppEnv> = async (c, next) => {
  const deps = c.get('deps');
  const secret = signingSecret(deps);
  const header = c.req.header('authorization');
  let token: string | undefined;
  const bearer = header !== undefined && /^Bearer(\s|$)/i.test(header);
  if (header !== undefined && bearer) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) throw new Unauthenticated('The Authorization header must be "Bearer <token>".');
    token = match[1];
  } else {
    // Another scheme (say Basic, added by a proxy in front of the API) is not meant for us:
    // the cookie still decides.
    token = getCookie(c, AUTH_COOKIE);
  }
  if (!token) throw new Unauthenticated(NO_CREDENTIALS);
  let session: Session | undefined;
  if (looksLikeApiKey(token)) {
    // Keys are for scripts, which send headers; the cookie only ever holds a login token.
    if (!bearer) throw new Unauthenticated('Send an API key as "Authorization: Bearer <key>".');
    const key = await parseApiKey(token);
    if (!key) throw new Unauthenticated('The API key is not valid.');
    session = {
      kind: 'key',
      userId: key.userId,
      keyHash: key.hash,
      at: deps.clock().getTime(),
      write: !READ_METHODS.has(c.req.method),
    };
  } else {
    session = await readToken(secret, token, deps.clock());
  }
  if (!session) throw new Unauthenticated('The token is invalid or has expired.');
  c.set('session', session);
  await next();
  // A refused key (unknown, revoked, expired) answered 401; any other answer means it was used.
  if (session.kind === 'key' && c.res.status !== 401) {
    const { keyHash, at } = session;
    afterResponse(c, () => touchApiKey(deps, keyHash, at));
  }
};

/**
 * For routes an API key must not reach (managing keys, ending sessions): a leaked key cannot
 * mint more keys or lock its owner out. Placed after `requireAuth`.
 */
export const refuseApiKeys: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (c.get('session').kind === 'key') {
    throw new Forbidden('An API key cannot do this: log in with your password and use the session token.');
  }
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
