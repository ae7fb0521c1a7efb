import type { Context } from 'hono';
import { getCookie } from 'hono/cookie';
import { AUTH_COOKIE, clearAuthCookie, setAuthCookie, setDeviceCookie } from '../../auth/cookie';
import { DEVICE_COOKIE } from '../../auth/device-cookie';
import { signingSecret } from '../../auth/middleware';
import { readToken } from '../../auth/token';
import type { UserRow } from '../../db/schema';
import type { AppEnv } from '../../http/app-env';
import * as accounts from '../../services/accounts';
import { surfaceRouters } from '../legacy';
import { isoTime, unixSeconds } from '../time-format';
import * as r from './users.routes';

// Explicit mapping: nothing but these fields can leave, whatever the row holds.
const legacyUser = (u: UserRow) => ({ id: u.id, email: u.email, created_at: unixSeconds(u.createdAt) });
const v1User = (u: UserRow) => ({ id: u.id, email: u.email, created_at: isoTime(u.createdAt) });

/** Both surfaces log in the same way; only how `expires_at` is written differs (the presenter). */
async function logIn(c: Context<AppEnv>, credentials: { email: string; password: string }) {
  const deps = c.get('deps');
  const ttlSeconds = deps.config.sessionTtlSeconds;
  const { issued, deviceCookie } = await accounts.login(
    deps,
    { secret: signingSecret(deps), ttlSeconds },
    credentials.email,
    credentials.password,
    { address: deps.clientAddress(c.req.raw, c.env), deviceCookie: getCookie(c, DEVICE_COOKIE) },
  );
  setAuthCookie(c, deps.config, issued.token);
  setDeviceCookie(c, deps.config, deviceCookie);
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

// One handler per operation, shared by `/api/v1/user…` and the legacy `/api/user…`: the
// presenter says how each surface writes a user, the token's expiry, and a logout.

interface UserPresenter<U, E, R extends Response> {
  user: (u: UserRow) => U;
  location: string;
  expiresAt: (unixSeconds: number) => E;
  loggedOut: (c: Context<AppEnv>) => R;
}

/** `/api/v1/user`: ISO 8601 times, 204 on logout. */
const v1 = {
  user: v1User,
  location: '/api/v1/user',
  expiresAt: (seconds: number) => isoTime(seconds * 1000),
  loggedOut: (c: Context<AppEnv>) => c.body(null, 204),
};

/** The original service: unix seconds, a message with 200 on logout. */
const legacy = {
  user: legacyUser,
  location: '/api/user',
  expiresAt: (seconds: number) => seconds,
  loggedOut: (c: Context<AppEnv>) => c.json({ message: 'Logged out.' as const }, 200),
};

type Credentials = Context<AppEnv, string, { out: { json: { email: string; password: string } } }>;

const register =
  <U extends object>(p: Pick<UserPresenter<U, unknown, Response>, 'user' | 'location'>) =>
  async (c: Credentials) => {
    const { email, password } = c.req.valid('json');
    const user = await accounts.register(c.get('deps'), email, password);
    c.header('Location', p.location);
    return c.json(p.user(user), 201);
  };

const login =
  <E extends number | string>(p: Pick<UserPresenter<unknown, E, Response>, 'expiresAt'>) =>
  async (c: Credentials) => {
    const { expiresAt, ...rest } = await logIn(c, c.req.valid('json'));
    return c.json({ ...rest, expires_at: p.expiresAt(expiresAt) }, 200);
  };

const logout =
  <R extends Response>(p: Pick<UserPresenter<unknown, unknown, R>, 'loggedOut'>) =>
  async (c: Context<AppEnv>) => {
    await logOut(c);
    return p.loggedOut(c);
  };

const getCurrentUser =
  <U extends object>(p: Pick<UserPresenter<U, unknown, Response>, 'user'>) =>
  async (c: Context<AppEnv>) =>
    c.json(p.user(await accounts.currentUser(c.get('deps'), c.get('session'))), 200);

/** `/api/v1/user…` (`v1`) and the original service's `/api/user…` (`legacy`). */
export function userRouters() {
  const routers = surfaceRouters();
  routers.serve(r.register, register(v1), r.legacyRegister, register(legacy));
  routers.serve(r.login, login(v1), r.legacyLogin, login(legacy));
  routers.serve(r.logout, logout(v1), r.legacyLogout, logout(legacy));
  routers.serve(r.getCurrentUser, getCurrentUser(v1), r.legacyGetCurrentUser, getCurrentUser(legacy));
  return { v1: routers.v1, legacy: routers.legacy };
}
