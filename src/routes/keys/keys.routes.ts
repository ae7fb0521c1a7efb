import { createRoute } from '@hono/zod-openapi';
import { refuseApiKeys, requireAuth } from '../../http/auth-middleware';
import { jsonOrFormBody, readJsonOrForm } from '../../http/body';
import { authErrors, problemResponseSpec, sessionOnly, slowBodyError, validationError } from '../../http/responses';
import { apiKeyListSchema, createdKeySchema, keyParams, newKeySchema } from './keys.schemas';

const TAGS = ['API keys'];
const keyRefused = { 403: problemResponseSpec('Refused to an API key: manage keys with a login (cookie or token)') };
const auth = { security: sessionOnly } as const;

export const createKey = createRoute({
  method: 'post',
  path: '/',
  operationId: 'createApiKey',
  tags: TAGS,
  summary: 'Create an API key (its secret is in this response only)',
  ...auth,
  middleware: [requireAuth, refuseApiKeys, readJsonOrForm] as const,
  request: { body: jsonOrFormBody(newKeySchema, 'Scope, and optionally a name and an expiry') },
  responses: {
    201: {
      description: 'Created. Store `key` now: it cannot be shown again.',
      content: { 'application/json': { schema: createdKeySchema } },
    },
    ...validationError,
    ...keyRefused,
    409: problemResponseSpec('Too many keys: revoke one first'),
    ...slowBodyError,
    413: problemResponseSpec('Body too large'),
    415: problemResponseSpec('Body is neither JSON nor a form'),
    ...authErrors,
  },
});

export const listKeys = createRoute({
  method: 'get',
  path: '/',
  operationId: 'listApiKeys',
  tags: TAGS,
  summary: 'Your API keys, newest first (never their secrets)',
  ...auth,
  middleware: [requireAuth, refuseApiKeys] as const,
  responses: {
    200: { description: 'Your keys', content: { 'application/json': { schema: apiKeyListSchema } } },
    ...keyRefused,
    ...authErrors,
  },
});

export const revokeKey = createRoute({
  method: 'delete',
  path: '/{id}',
  operationId: 'revokeApiKey',
  tags: TAGS,
  summary: 'Revoke an API key: it stops working at once',
  ...auth,
  middleware: [requireAuth, refuseApiKeys] as const,
  request: { params: keyParams },
  responses: {
    204: { description: 'Revoked' },
    ...validationError,
    ...keyRefused,
    404: problemResponseSpec('No such key (another user’s key answers the same)'),
    ...authErrors,
  },
});
