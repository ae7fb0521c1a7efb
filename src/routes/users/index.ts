import type { Context } from 'hono';
import { getCookie } from 'hono/cookie';
import { AUTH_COOKIE, clearAuthCookie, setAuthCookie } from '../../auth/cookie';
import { signingSecret } from '../../auth/middleware';
import { readToken } from '../../auth/token';
import type { UserRow } from '../../db/schema';
import type { AppEnv } from '../../http/app-env';
import { isoTime, unixSeconds } from '../../http/openapi';
import { createRouter } from '../../http/router';
import * as accounts from '../../services/accounts';
import { legacyUserRoutes as legacy, v1UserRoutes as v1 } from './users.routes';

// Explicit mapping: nothing but these fields can leave, whatever the row holds.
const legacyUser = (u: UserRow) => ({ id: u.id, email: u.email, created_at: unixSeconds(u.createdAt) });
const v1User = (u: UserRow) => ({ id: u.id, email: u.email, created_at: isoTime(u.createdAt) });

/** Both surfaces log in the same way; only how `expires_at` is written differs. */
async function logIn(c: Context<AppEnv>, credentials: { email: string; password: string }) {
  const deps = c.get('deps');
  const ttlSeconds = deps.config.sessionTtlSeconds;
  const { issued } = await accounts.login(
    deps,
    { secret: signingSecret(deps), ttlSeconds },
    credentials.email,
    credentials.password,
    deps.clientAddress(c.req.raw, c.env),
  );
  setAuthCookie(c, deps.config, issued.token);
  // A response carrying a token must not be kept by any cache (RFC 6749 §5.1).
  c.header('Cache-Control', 'no-store');
  return { token: issued.token, token_type: 'Bearer' as const, expiresAt: issued.expiresAt, expires_in: ttlSeconds };
}

async function logOut(c: Context<AppEnv>) {
  const deps = c.get('deps');
  const session = c.get('session');
  await accounts.logout(deps, session);
  // A bearer logout must not sign the browser out of another account, whose session stays
  // valid, by dropping its cookie. Any other cookie (this user's, now revoked, or a dead one)
  // is cleared, as is the cookie slot when none was sent, as the original service did.
  const cookie = getCookie(c, AUTH_COOKIE);
  const named = cookie === undefined ? undefined : await readToken(signingSecret(deps), cookie, deps.clock());
  if (named && named.userId !== session.userId) return;
  clearAuthCookie(c, deps.config);
}

const register = (c: Context<AppEnv>, credentials: { email: string; password: string }) =>
  accounts.register(c.get('deps'), credentials.email, credentials.password);

const me = (c: Context<AppEnv>) => accounts.currentUser(c.get('deps'), c.get('session'));

export function legacyUserRouter() {
  return createRouter()
    .openapi(legacy.register, async (c) => {
      const user = await register(c, c.req.valid('json'));
      c.header('Location', '/api/user');
      return c.json(legacyUser(user), 201);
    })
    .openapi(legacy.login, async (c) => {
      const { expiresAt, ...rest } = await logIn(c, c.req.valid('json'));
      return c.json({ ...rest, expires_at: expiresAt }, 200);
    })
    .openapi(legacy.logout, async (c) => {
      await logOut(c);
      return c.json({ message: 'Logged out.' }, 200);
    })
    .openapi(legacy.me, async (c) => c.json(legacyUser(await me(c)), 200));
}

export function v1UserRouter() {
  return createRouter()
    .openapi(v1.register, async (c) => {
      const user = await register(c, c.req.valid('json'));
      c.header('Location', '/api/v1/user');
      return c.json(v1User(user), 201);
    })
    .openapi(v1.login, async (c) => {
      const { expiresAt, ...rest } = await logIn(c, c.req.valid('json'));
      return c.json({ ...rest, expires_at: isoTime(expiresAt * 1000) }, 200);
    })
    .openapi(v1.logout, async (c) => {
      await logOut(c);
      return c.body(null, 204);
    })
    .openapi(v1.me, async (c) => c.json(v1User(await me(c)), 200));
}
