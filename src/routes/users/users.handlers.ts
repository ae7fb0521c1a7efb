import type { Context } from 'hono';
import { getCookie } from 'hono/cookie';
import { AUTH_COOKIE, clearAuthCookie, setAuthCookie, setDeviceCookie } from '../../auth/cookie';
import { DEVICE_COOKIE, newDeviceCookie } from '../../auth/device-cookie';
import { readToken } from '../../auth/token';
import type { AppEnv } from '../../http/app-env';
import { signingSecret } from '../../http/auth-middleware';
import type { AppRouteHandler } from '../../http/router';
import { exportAccount } from '../../services/account-export';
import * as lifecycle from '../../services/account-lifecycle';
import * as accounts from '../../services/accounts';
import { isoTime } from '../time-format';
import type * as legacyRoutes from './users.legacy.routes';
import { deletionPending, legacy, presentLogin, presentToken, v1, v1User } from './users.present';
import type * as r from './users.routes';

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
  return { issued, ttlSeconds };
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

// An operation both surfaces serve has one handler, built per surface from its presenter
// (users.present.ts: how each writes a user, the token's expiry, and a logout), and each built
// handler is typed by its own route as `AppRouteHandler<typeof route>`.

interface UserPresenter<U, E, R extends Response> {
  user: (u: accounts.User) => U;
  location: string;
  expiresAt: (unixSeconds: number) => E;
  loggedOut: (c: Context<AppEnv>) => R;
}

type Credentials = Context<AppEnv, string, { out: { json: { email: string; password: string } } }>;

const registerAs =
  <U extends object>(p: Pick<UserPresenter<U, unknown, Response>, 'user' | 'location'>) =>
  async (c: Credentials) => {
    const { email, password } = c.req.valid('json');
    const user = await accounts.register(c.get('deps'), email, password);
    c.header('Location', p.location);
    return c.json(p.user(user), 201);
  };

const loginAs =
  <E extends number | string>(p: Pick<UserPresenter<unknown, E, Response>, 'expiresAt'>) =>
  async (c: Credentials) => {
    const { issued, ttlSeconds } = await logIn(c, c.req.valid('json'));
    return c.json(presentLogin(issued, ttlSeconds, p.expiresAt), 200);
  };

const logoutAs =
  <R extends Response>(p: Pick<UserPresenter<unknown, unknown, R>, 'loggedOut'>) =>
  async (c: Context<AppEnv>) => {
    await logOut(c);
    return p.loggedOut(c);
  };

const getCurrentUserAs =
  <U extends object>(p: Pick<UserPresenter<U, unknown, Response>, 'user'>) =>
  async (c: Context<AppEnv>) =>
    c.json(p.user(await accounts.currentUser(c.get('deps'), c.get('session'))), 200);

/** Who is asking, for the password check's throttle (as a login counts it). */
const clientOf = (c: Context<AppEnv>) => ({
  address: c.get('deps').clientAddress(c.req.raw, c.env),
  deviceCookie: getCookie(c, DEVICE_COOKIE),
});

export const changePassword: AppRouteHandler<typeof r.changePassword> = async (c) => {
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
  return c.json(presentToken(issued, ttlSeconds, v1.expiresAt), 200);
};

export const changeEmail: AppRouteHandler<typeof r.changeEmail> = async (c) => {
  const deps = c.get('deps');
  const secret = signingSecret(deps);
  const user = await lifecycle.changeEmail(deps, secret, c.get('session'), c.req.valid('json'), clientOf(c));
  // The device cookie names the account by its email: this client stays recognised under the new one.
  setDeviceCookie(c, deps.config, await newDeviceCookie(secret, user.email));
  return c.json(v1User(user), 200);
};

export const exportArchive: AppRouteHandler<typeof r.exportAccount> = async (c) => {
  const deps = c.get('deps');
  const archive = await exportAccount(deps, c.get('session'));
  const day = isoTime(deps.clock().getTime()).slice(0, 10);
  return c.body(archive.body, 200, {
    'Content-Type': 'application/x-tar',
    'Content-Disposition': `attachment; filename="imageapi-export-${archive.userId}-${day}.tar"`,
    'Cache-Control': 'no-store',
  });
};

export const deleteAccount: AppRouteHandler<typeof r.deleteAccount> = async (c) => {
  const deps = c.get('deps');
  const { password } = c.req.valid('json');
  const outcome = await lifecycle.deleteAccount(deps, signingSecret(deps), c.get('session'), password, clientOf(c));
  // Whatever remains, no session of the account works any more.
  clearAuthCookie(c, deps.config);
  if (outcome.done) return c.body(null, 204);
  return c.json(deletionPending(), 202);
};

export const register: AppRouteHandler<typeof r.register> = registerAs(v1);
export const login: AppRouteHandler<typeof r.login> = loginAs(v1);
export const logout: AppRouteHandler<typeof r.logout> = logoutAs(v1);
export const getCurrentUser: AppRouteHandler<typeof r.getCurrentUser> = getCurrentUserAs(v1);

export const legacyRegister: AppRouteHandler<typeof legacyRoutes.legacyRegister> = registerAs(legacy);
export const legacyLogin: AppRouteHandler<typeof legacyRoutes.legacyLogin> = loginAs(legacy);
export const legacyLogout: AppRouteHandler<typeof legacyRoutes.legacyLogout> = logoutAs(legacy);
export const legacyGetCurrentUser: AppRouteHandler<typeof legacyRoutes.legacyGetCurrentUser> = getCurrentUserAs(legacy);
