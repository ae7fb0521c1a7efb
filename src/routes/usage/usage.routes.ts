import { createRoute } from '@hono/zod-openapi';
import { requireAuth } from '../../http/auth-middleware';
import { authErrors, authenticated, validationError } from '../../http/responses';
import { usageQuery, usageReportSchema } from './usage.schemas';

export const getUsage = createRoute({
  method: 'get',
  path: '/',
  operationId: 'getUsage',
  tags: ['Usage'],
  summary: 'Your stored totals, quotas and per-day usage',
  description:
    'Includes the counts this server instance has not written yet. A request is counted once its ' +
    'response is sent, so this answer does not count itself.',
  security: authenticated,
  middleware: [requireAuth] as const,
  request: { query: usageQuery },
  responses: {
    200: { description: 'Usage', content: { 'application/json': { schema: usageReportSchema } } },
    ...validationError,
    ...authErrors,
  },
});
