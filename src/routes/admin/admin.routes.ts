import { createRoute } from '@hono/zod-openapi';
import { requireAuth } from '../../http/auth-middleware';
import { jsonOrFormBody, readJsonOrForm } from '../../http/body';
import { authErrors, authenticated, problemResponseSpec, slowBodyError, validationError } from '../../http/responses';
import { storageSchema, usageQuery, usageReportSchema } from '../usage/usage.schemas';
import { quotaBody, storageListQuery, storageListSchema, userParams } from './admin.schemas';

const TAGS = ['Admin'];
const notAdmin = { 403: problemResponseSpec('Not an operator (granted by `npm run operator -- grant`)') } as const;
const noUser = { 404: problemResponseSpec('No such user') } as const;

export const setUserQuota = createRoute({
  method: 'put',
  path: '/users/{id}/quota',
  operationId: 'setUserQuota',
  tags: TAGS,
  summary: "Set a user's quota overrides",
  security: authenticated,
  middleware: [requireAuth, readJsonOrForm] as const,
  request: {
    params: userParams,
    body: jsonOrFormBody(quotaBody, 'Limits for this user; omitted or null fields fall back to the settings'),
  },
  responses: {
    200: {
      description: 'The user’s storage and the quotas that now apply',
      content: { 'application/json': { schema: storageSchema } },
    },
    ...validationError,
    403: problemResponseSpec('Not an operator (granted by `npm run operator -- grant`), or a `read` API key'),
    ...noUser,
    ...slowBodyError,
    413: problemResponseSpec('Body too large'),
    415: problemResponseSpec('Body is neither JSON nor a form'),
    ...authErrors,
  },
});

export const listUsage = createRoute({
  method: 'get',
  path: '/usage',
  operationId: 'listUsage',
  tags: TAGS,
  summary: "Every user's stored totals and quotas, paginated",
  security: authenticated,
  middleware: [requireAuth] as const,
  request: { query: storageListQuery },
  responses: {
    200: { description: 'A page of users', content: { 'application/json': { schema: storageListSchema } } },
    ...validationError,
    ...notAdmin,
    ...authErrors,
  },
});

export const getUserUsage = createRoute({
  method: 'get',
  path: '/users/{id}/usage',
  operationId: 'getUserUsage',
  tags: TAGS,
  summary: "One user's stored totals, quotas and per-day usage",
  security: authenticated,
  middleware: [requireAuth] as const,
  request: { params: userParams, query: usageQuery },
  responses: {
    200: { description: 'Usage', content: { 'application/json': { schema: usageReportSchema } } },
    ...validationError,
    ...notAdmin,
    ...noUser,
    ...authErrors,
  },
});
