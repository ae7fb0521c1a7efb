import { z } from '@hono/zod-openapi';
import { positiveId } from '../images/images.schemas';
import { pageLimit } from '../page-params';
import { storageSchema } from '../usage/usage.schemas';

export const userParams = z.object({
  id: positiveId.openapi({ param: { name: 'id', in: 'path' }, type: 'integer', example: 1 }),
});

// Form fields arrive as strings; JSON sends numbers or null.
const quotaValue = z
  .union([
    z.null(),
    z.number(),
    z
      .string()
      .trim()
      .regex(/^\d{1,16}$/, 'Must be a whole number')
      .transform(Number),
  ])
  .pipe(z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).nullable())
  .optional()
  .transform((v) => v ?? null);

export const quotaBody = z
  .object({
    max_bytes: quotaValue.openapi({
      type: ['integer', 'null'],
      minimum: 0,
      description: 'Bytes this user may store. Omitted or null: QUOTA_MAX_BYTES applies; 0: unlimited',
      example: 1_073_741_824,
    }),
    max_images: quotaValue.openapi({
      type: ['integer', 'null'],
      minimum: 0,
      description: 'Images this user may store. Omitted or null: QUOTA_MAX_IMAGES applies; 0: unlimited',
      example: 1000,
    }),
  })
  .openapi('QuotaOverride');

export const userStorageSchema = z
  .object({
    user_id: z.number().int().openapi({ example: 1 }),
    email: z.string().openapi({ example: 'ada@example.com' }),
    storage: storageSchema,
  })
  .openapi('UserStorage');

export const MAX_USERS_PAGE = 200;

export const storageListQuery = z.object({
  sort: z
    .enum(['bytes', 'images', 'id'])
    .default('bytes')
    .openapi({ description: '`bytes` or `images`: most stored first (then by id); `id`: oldest account first' }),
  limit: pageLimit(MAX_USERS_PAGE),
  cursor: z.string().optional().openapi({ description: '`next_cursor` from the previous page (same `sort`)' }),
});

export const storageListSchema = z
  .object({
    items: z.array(userStorageSchema),
    next_cursor: z.string().nullable().openapi({ description: 'Pass as `cursor` for the next page; null at the end' }),
  })
  .openapi('UserStoragePage');
