import { createRoute, type z } from '@hono/zod-openapi';
import { clearStaleCookie, refuseApiKeys, requireAuth } from '../../auth/middleware';
import { jsonOrFormBody, readJsonOrForm } from '../../http/body';
import { authErrors, authenticated, sessionOnly, smallBodyErrors, unavailableError } from '../../http/openapi';
import { problemResponseSpec } from '../../http/problem';
import { LOGIN_LIMITS } from '../../services/login-throttle';
import { legacyRoutes } from '../legacy';
import {
  legacyTokenSchema,
  legacyUserSchema,
  loginSchema,
  logoutSchema,
  registerSchema,
  tokenSchema,
  userSchema,
} from './users.schemas';

const minutes = (ms: number) => `${ms / 60_000} minutes`;
const { pair, address, account, device } = LOGIN_LIMITS;
const THROTTLE_TEXT =
  `Too many failed logins (counted in windows of ${minutes(pair.windowMs)} from the first failure): ` +
  `${pair.maxFailures} for one account from one client address, ${address.maxFailures} from one address ` +
  `across all accounts, ${account.maxFailures} for one account from all addresses. A client holding the ` +
  "`login_device` cookie this account's last successful login set there is counted apart, against " +
  `${device.maxFailures} failures for that cookie only, so nobody else can lock it out. Every attempt a full ` +
  'count covers, the right password included, is refused until its window ends, and no password is checked. ' +
  'A right password does not count. Unknown emails are throttled exactly like known ones.';

const TAGS = ['Users'];

const keyRefused = {
  403: problemResponseSpec('Refused to an API key: revoke the key instead (`DELETE /api/v1/user/keys/{id}`)'),
} as const;

/** Register and log in: no credentials yet, a small JSON or form body. */
const noCredentials: Record<string, string[]>[] = [];
const bodyMiddleware: [typeof readJsonOrForm] = [readJsonOrForm];
const credentialsForm = { security: noCredentials, middleware: bodyMiddleware };

// ---- v1 -------------------------------------------------------------------------------------

export const register = createRoute({
  method: 'post',
  path: '/register',
  operationId: 'register',
  tags: TAGS,
  summary: 'Create an account',
  ...credentialsForm,
  request: { body: jsonOrFormBody(registerSchema, 'Email and password (8–1024 characters)') },
  responses: {
    201: { description: 'Account created', content: { 'application/json': { schema: userSchema } } },
    ...smallBodyErrors,
    409: problemResponseSpec('Email already registered (compared case-insensitively)'),
    ...unavailableError,
  },
});

const loggedIn = (token: z.ZodType) => ({
  description:
    'Logged in. The same token is set as the HttpOnly `auth_token` cookie, and a `login_device` cookie ' +
    'marks this client as one that has signed in to this account (see 429).',
  headers: {
    'Set-Cookie': {
      schema: { type: 'string' as const },
      description: 'auth_token=…; HttpOnly; SameSite=Lax, and login_device=…; Path=/api; HttpOnly; SameSite=Strict',
    },
  },
  content: { 'application/json': { schema: token } },
});

export const login = createRoute({
  method: 'post',
  path: '/login',
  operationId: 'login',
  tags: TAGS,
  summary: 'Log in: sets the auth_token cookie and returns a bearer token',
  ...credentialsForm,
  request: { body: jsonOrFormBody(loginSchema, 'Email and password') },
  responses: {
    200: loggedIn(tokenSchema),
    ...smallBodyErrors,
    401: problemResponseSpec('Wrong email or password (the same answer for both)'),
    429: {
      ...problemResponseSpec(THROTTLE_TEXT),
      headers: {
        'Retry-After': {
          required: true,
          schema: { type: 'integer', minimum: 1 },
          description: 'Seconds until the window ends and attempts are let through again',
        },
      },
    },
    500: problemResponseSpec('Authentication not configured'),
    ...unavailableError,
  },
});

export const logout = createRoute({
  method: 'post',
  path: '/logout',
  operationId: 'logout',
  tags: TAGS,
  summary: 'Log out: clears the cookie and revokes every outstanding token of the user',
  security: sessionOnly,
  middleware: [clearStaleCookie, requireAuth, refuseApiKeys] as const,
  responses: { 204: { description: 'Logged out' }, ...keyRefused, ...authErrors },
});

export const getCurrentUser = createRoute({
  method: 'get',
  path: '/',
  operationId: 'getCurrentUser',
  tags: TAGS,
  summary: 'The current user',
  security: authenticated,
  middleware: [requireAuth] as const,
  responses: {
    200: { description: 'The current user', content: { 'application/json': { schema: userSchema } } },
    ...authErrors,
  },
});

// ---- legacy ---------------------------------------------------------------------------------
// `/api/user…`: the same operations answering the original service's shapes (unix-second
// times, its token object, a message on logout).

const legacyOf = legacyRoutes({ v1Base: '/api/v1/user', tag: 'Legacy: users' });

export const legacyRegister = legacyOf(register, {
  path: '/register',
  responses: {
    201: { description: 'Account created', content: { 'application/json': { schema: legacyUserSchema } } },
  },
});

export const legacyLogin = legacyOf(login, {
  path: '/login',
  responses: { 200: loggedIn(legacyTokenSchema) },
});

/** Legacy answers 200 with a message where v1 answers 204. */
export const legacyLogout = legacyOf(logout, {
  path: '/logout',
  without: [204],
  responses: { 200: { description: 'Logged out', content: { 'application/json': { schema: logoutSchema } } } },
});

export const legacyGetCurrentUser = legacyOf(getCurrentUser, {
  path: '/',
  responses: {
    200: { description: 'The current user', content: { 'application/json': { schema: legacyUserSchema } } },
  },
});
