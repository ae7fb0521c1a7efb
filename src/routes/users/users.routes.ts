import { createRoute, type z } from '@hono/zod-openapi';
import { clearStaleCookie, refuseApiKeys, requireAuth } from '../../http/auth-middleware';
import { jsonOrFormBody, readJsonOrForm } from '../../http/body';
import {
  authErrors,
  authenticated,
  problemResponseSpec,
  sessionOnly,
  smallBodyErrors,
  unavailableError,
} from '../../http/responses';
import { LOGIN_LIMITS } from '../../services/login-throttle';
import {
  changeEmailSchema,
  changePasswordSchema,
  deleteAccountSchema,
  deletionPendingSchema,
  loginSchema,
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

// `/api/v1/user…`; the original service's `/api/user…` paths are users.legacy.routes.ts.

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

export const loggedIn = (token: z.ZodType) => ({
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

// ---- account lifecycle (v1 only) ------------------------------------------------------------

const confirmErrors = {
  ...smallBodyErrors,
  403: problemResponseSpec(
    'The password is wrong, or the request came with an API key (use a login: a key cannot change the account)',
  ),
  429: {
    ...problemResponseSpec(`The password check is throttled like a login. ${THROTTLE_TEXT}`),
    headers: {
      'Retry-After': {
        required: true,
        schema: { type: 'integer', minimum: 1 },
        description: 'Seconds until the window ends and attempts are let through again',
      },
    },
  },
  ...authErrors,
} as const;

const sessionBody = {
  security: sessionOnly,
  middleware: [requireAuth, refuseApiKeys, readJsonOrForm],
};

export const changePassword = createRoute({
  method: 'post',
  path: '/password',
  operationId: 'changePassword',
  tags: TAGS,
  summary: 'Change the password: every other session and token ends; the caller gets a new token',
  description:
    'Needs the current password. Every token and cookie of the account issued before ends at once; the ' +
    'answer carries a new token, also set as the `auth_token` cookie. API keys are kept unless ' +
    '`revoke_api_keys` is true.',
  ...sessionBody,
  request: { body: jsonOrFormBody(changePasswordSchema, 'The current password and the new one (8–1024 characters)') },
  responses: { 200: loggedIn(tokenSchema), ...confirmErrors },
});

export const changeEmail = createRoute({
  method: 'post',
  path: '/email',
  operationId: 'changeEmail',
  tags: TAGS,
  summary: 'Change the email address the account logs in with',
  description:
    'Needs the password. The address is trimmed and lower-cased as at registration and must not belong to ' +
    'another account. Sessions and keys are kept.',
  ...sessionBody,
  request: { body: jsonOrFormBody(changeEmailSchema, 'The new email and the current password') },
  responses: {
    200: { description: 'The account, with its new email', content: { 'application/json': { schema: userSchema } } },
    ...confirmErrors,
    409: problemResponseSpec('Another account has this email (compared case-insensitively)'),
  },
});

export const exportAccount = createRoute({
  method: 'get',
  path: '/export',
  operationId: 'exportAccount',
  tags: TAGS,
  summary: "Everything the account stores: its images' bytes and metadata as one tar archive",
  description:
    'A POSIX ustar archive, streamed as it is produced: `images/<id>.<ext>` holds each image as uploaded; after ' +
    'each group of files comes `manifest/NNNNNN.json` (from `000001`), a JSON array describing them (`id`, ' +
    '`name`, `file`, `content_type`, `size`, `sha256`, `width`, `height`, `tags`, `created_at`); the last ' +
    'entry is `manifest.json`: `format` (`imageapi-export`), `version`, `exported_at`, `user`, `images`, ' +
    '`bytes` and `manifest_pages` (how many manifest pages precede it). An archive that ends without ' +
    '`manifest.json` was cut short (a read failed midway): fetch it again.',
  security: authenticated,
  middleware: [requireAuth] as const,
  responses: {
    200: {
      description: 'The archive',
      headers: {
        'Content-Disposition': {
          schema: { type: 'string' },
          description: 'attachment; filename="imageapi-export-….tar"',
        },
      },
      content: { 'application/x-tar': { schema: { type: 'string', format: 'binary' } } },
    },
    ...authErrors,
  },
});

export const deleteAccount = createRoute({
  method: 'delete',
  path: '/',
  operationId: 'deleteAccount',
  tags: TAGS,
  summary: 'Delete the account and everything it stores',
  description:
    'Needs the password. From the first call the account is being deleted: no token, key, share link or ' +
    'login works any more, and its email stays taken until the deletion ends. Every image, variant (bytes ' +
    'included), tag, key, link, usage row and session goes. A large account is deleted over several calls: ' +
    '202 means send the same request again (the same token and password) to carry on; 204 means it is gone. ' +
    'A call that fails midway (503) can be repeated the same way; housekeeping also finishes any deletion ' +
    'left unfinished.',
  ...sessionBody,
  request: { body: jsonOrFormBody(deleteAccountSchema, 'The current password') },
  responses: {
    204: { description: 'The account is deleted; the auth cookie is cleared' },
    202: {
      description: 'Being deleted, and more remains: repeat the request',
      content: { 'application/json': { schema: deletionPendingSchema } },
    },
    ...confirmErrors,
  },
});
