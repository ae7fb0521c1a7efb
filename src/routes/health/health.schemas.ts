import { z } from '@hono/zod-openapi';

export const healthSchema = z
  .object({ status: z.literal('ok').openapi({ example: 'ok' }) })
  .openapi('Health', { description: 'The database and the image store both answered' });
