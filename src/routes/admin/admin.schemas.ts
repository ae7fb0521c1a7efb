import { z } from '@hono/zod-openapi';
import type { StoredUsage } from '../../services/quota';
import { positiveId } from '../images/images.schemas';

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

const limitsSchema = z
  .object({
    max_bytes: z.number().int().nullable().openapi({ description: 'Null: unlimited' }),
    max_images: z.number().int().nullable().openapi({ description: 'Null: unlimited' }),
  })
  .openapi('Limits');

export const storageSchema = z
  .object({
    images_count: z.number().int().openapi({ example: 12 }),
    bytes_stored: z.number().int().openapi({ example: 5_242_880 }),
    limits: limitsSchema,
    override: z
      .object({
        max_bytes: z.number().int().nullable(),
        max_images: z.number().int().nullable(),
      })
      .openapi({ description: "The operator's overrides; null: the setting applies" }),
  })
  .openapi('Storage', { description: 'What is stored and the quotas that apply' });

export const userStorageSchema = z
  .object({
    user_id: z.number().int().openapi({ example: 1 }),
    email: z.string().openapi({ example: 'ada@example.com' }),
    storage: storageSchema,
  })
  .openapi('UserStorage');

export const presentStorage = (u: StoredUsage) => ({
  images_count: u.imagesCount,
  bytes_stored: u.bytesStored,
  limits: { max_bytes: u.maxBytes, max_images: u.maxImages },
  override: { max_bytes: u.override.maxBytes, max_images: u.override.maxImages },
});
