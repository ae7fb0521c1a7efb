import { createRoute } from '@hono/zod-openapi';
import { problemResponseSpec } from '../../http/responses';
import { healthSchema } from './health.schemas';

export const HEALTH_PATH = '/healthz';

const noStore = {
  'Cache-Control': { schema: { type: 'string' as const }, description: '`no-store`: every probe reaches the server' },
};

export const healthRoute = createRoute({
  method: 'get',
  path: HEALTH_PATH,
  operationId: 'getHealth',
  tags: ['Health'],
  summary: 'Health check for load balancers and monitors',
  description:
    'Unauthenticated and cheap: one `SELECT 1` on the database and one probe of the image store ' +
    '(an R2 HEAD of a key never written; on Node and Bun, a check that the images directory is usable). ' +
    'Answers 503 with a problem naming the failing dependency; the reason goes to the server log only.',
  security: [],
  responses: {
    200: {
      description: 'Healthy',
      headers: noStore,
      content: { 'application/json': { schema: healthSchema } },
    },
    503: { ...problemResponseSpec('The database or the image store is unavailable'), headers: noStore },
  },
});
