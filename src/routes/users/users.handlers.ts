import type { Context } from 'hono';
import { getCookie } from 'hono/cookie';
import { AUTH_COOKIE, clearAuthCookie, setAuthCookie, setDeviceCookie } from '../../auth/cookie';
import { DEVICE_COOKIE, newDeviceCookie } from '../../auth/device-cookie';
import { signingSecret } from '../../auth/middleware';
import { readToken } from '../../auth/token';
import type { UserRow } from '../../db/schema';
import type { AppEnv } from '../../http/app-env';
import type { AppRouteHandler } from '../../http/router';
import { exportAccount } from '../../services/account-export';
import * as lifecycle from '../../services/account-lifecycle';
import * as accounts from '../../services/accounts';
import { surfaceRouters } from '../legacy-routes';
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

/** Who is asking, for the password check's throttle (as a login counts it). */
const clientOf = (c: Context<AppEnv>) => ({
  address: c.get('deps').clientAddress(c.req.raw, c.env),
  deviceCookie: getCookie(c, DEVICE_COOKIE),
});

const changePassword: AppRouteHandler<typeof r.changePassword> = async (c) => {
  const deps = c.get('deps');
  const body = c.req.valid('json');
  const ttlSeconds = deps.config.sessionTtlSeconds;
  const issued = await lifecycle.changePassword(
    deps,
    { secret: signingSecret(deps), ttlSeconds },
    c.get('session'),
    {
      currentPassword: body.current_password,
      newPassword: body.new_password,
      revokeApiKeys: body.revoke_api_keys ?? false,
    },
    clientOf(c),
  );
  setAuthCookie(c, deps.config, issued.token);
  c.header('Cache-Control', 'no-store');
  return c.json(
    {
      token: issued.token,
      token_type: 'Bearer' as const,
      expires_at: v1.expiresAt(issued.expiresAt),
      expires_in: ttlSeconds,
    },
    200,
  );
};

const changeEmail: AppRouteHandler<typeof r.changeEmail> = async (c) => {
  const deps = c.get('deps');
  const secret = signingSecret(deps);
  const user = await lifecycle.changeEmail(deps, secret, c.get('session'), c.req.valid('json'), clientOf(c));
  // The device cookie names the account by its email: this client stays recognised under the new one.
  setDeviceCookie(c, deps.config, await newDeviceCookie(secret, user.email));
  return c.json(v1User(user), 200);
};

const exportArchive: AppRouteHandler<typeof r.exportAccount> = async (c) => {
  const deps = c.get('deps');
  const archive = await exportAccount(deps, c.get('session'));
  const day = isoTime(deps.clock().getTime()).slice(0, 10);
  return c.body(archive.body, 200, {
    'Content-Type': 'application/x-tar',
    'Content-Disposition': `attachment; filename="imageapi-export-${archive.userId}-${day}.tar"`,
    'Cache-Control': 'no-store',
  });
};

const deleteAccount: AppRouteHandler<typeof r.deleteAccount> = async (c) => {
  const deps = c.get('deps');
  const { password } = c.req.valid('json');
  const outcome = await lifecycle.deleteAccount(deps, signingSecret(deps), c.get('session'), password, clientOf(c));
  // Whatever remains, no session of the account works any more.
  clearAuthCookie(c, deps.config);
  if (outcome.done) return c.body(null, 204);
  return c.json(
    { status: 'deleting' as const, detail: 'The account is being deleted; repeat the request to carry on.' },
    202,
  );
};

/** `/api/v1/user…` (`v1`) and the original service's `/api/user…` (`legacy`). */
export function userRouters() {
  const routers = surfaceRouters();
  routers.serve(r.register, register(v1), r.legacyRegister, register(legacy));
  routers.serve(r.login, login(v1), r.legacyLogin, login(legacy));
  routers.serve(r.logout, logout(v1), r.legacyLogout, logout(legacy));
  routers.serve(r.getCurrentUser, getCurrentUser(v1), r.legacyGetCurrentUser, getCurrentUser(legacy));
  // The account lifecycle is new: v1 only.
  routers.v1.openapi(r.changePassword, changePassword);
  routers.v1.openapi(r.changeEmail, changeEmail);
  routers.v1.openapi(r.exportAccount, exportArchive);
  routers.v1.openapi(r.deleteAccount, deleteAccount);
  return { v1: routers.v1, legacy: routers.legacy };
}
