import { createRoute, type z } from '@hono/zod-openapi';
import { clearStaleCookie, refuseApiKeys, requireAuth } from '../../auth/middleware';
import { formAsJson, jsonOrFormBody, SMALL_BODY_LIMIT } from '../../http/body';
import {
  authErrors,
  authenticated,
  type Surface,
  sessionOnly,
  unavailableError,
  validationError,
} from '../../http/openapi';
import { problemResponseSpec } from '../../http/problem';
import { LOGIN_LIMITS } from '../../services/login-throttle';
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
const { account, address } = LOGIN_LIMITS;
const LIMITS_TEXT = `${account.maxFailures} failures per account in ${minutes(account.windowMs)}, ${address.maxFailures} per client address in ${minutes(address.windowMs)}`;

const bodyErrors = {
  ...validationError,
  413: problemResponseSpec('Body too large'),
  415: problemResponseSpec('Body is neither JSON nor a form'),
} as const;

const keyRefused = {
  403: problemResponseSpec('Refused to an API key: revoke the key instead (`DELETE /api/v1/user/keys/{id}`)'),
} as const;

function userRoutes<U extends z.ZodType, T extends z.ZodType>(surface: Surface, user: U, token: T) {
  const legacy = surface === 'legacy';
  const id = (name: string) => (legacy ? `legacy${name[0]?.toUpperCase()}${name.slice(1)}` : name);
  const deprecation = (v1: string) =>
    legacy ? { deprecated: true, description: `Legacy path kept for existing clients; use \`${v1}\`.` } : {};
  const tags = [legacy ? 'Legacy: users' : 'Users'];

  return {
    register: createRoute({
      method: 'post',
      path: '/register',
      operationId: id('register'),
      tags,
      summary: 'Create an account',
      ...deprecation('POST /api/v1/user/register'),
      security: [],
      middleware: [SMALL_BODY_LIMIT, formAsJson] as const,
      request: { body: jsonOrFormBody(registerSchema, 'Email and password (8–1024 characters)') },
      responses: {
        201: { description: 'Account created', content: { 'application/json': { schema: user } } },
        ...bodyErrors,
        409: problemResponseSpec('Email already registered (compared case-insensitively)'),
        ...unavailableError,
      },
    }),
    login: createRoute({
      method: 'post',
      path: '/login',
      operationId: id('login'),
      tags,
      summary: 'Log in: sets the auth_token cookie and returns a bearer token',
      ...deprecation('POST /api/v1/user/login'),
      security: [],
      middleware: [SMALL_BODY_LIMIT, formAsJson] as const,
      request: { body: jsonOrFormBody(loginSchema, 'Email and password') },
      responses: {
        200: {
          description: 'Logged in. The same token is set as the HttpOnly `auth_token` cookie.',
          headers: {
            'Set-Cookie': { schema: { type: 'string' }, description: 'auth_token=…; HttpOnly; SameSite=Lax' },
          },
          content: { 'application/json': { schema: token } },
        },
        ...bodyErrors,
        401: problemResponseSpec('Wrong email or password (the same answer for both)'),
        429: {
          ...problemResponseSpec(
            `Too many failed logins for this account or from this address (${LIMITS_TEXT}); every attempt, ` +
              'the right password included, is refused until the window ends. Unknown emails are throttled ' +
              'exactly like known ones.',
          ),
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
    }),
    logout: createRoute({
      method: 'post',
      path: '/logout',
      operationId: id('logout'),
      tags,
      summary: 'Log out: clears the cookie and revokes every outstanding token of the user',
      ...deprecation('POST /api/v1/user/logout'),
      security: sessionOnly,
      middleware: [clearStaleCookie, requireAuth, refuseApiKeys] as const,
      responses: legacy
        ? {
            200: { description: 'Logged out', content: { 'application/json': { schema: logoutSchema } } },
            ...keyRefused,
            ...authErrors,
          }
        : { 204: { description: 'Logged out' }, ...keyRefused, ...authErrors },
    }),
    me: createRoute({
      method: 'get',
      path: '/',
      operationId: id('getCurrentUser'),
      tags,
      summary: 'The current user',
      ...deprecation('GET /api/v1/user'),
      security: authenticated,
      middleware: [requireAuth] as const,
      responses: {
        200: { description: 'The current user', content: { 'application/json': { schema: user } } },
        ...authErrors,
      },
    }),
  };
}

export const legacyUserRoutes = userRoutes('legacy', legacyUserSchema, legacyTokenSchema);
export const v1UserRoutes = userRoutes('v1', userSchema, tokenSchema);
