import { z } from '@hono/zod-openapi';
import { MAX_KEY_LIFETIME_SECONDS } from '../../services/api-keys';
import { hasControl } from '../../services/tag-rules';
import { parseInstant } from '../../services/time-filters';
import { positiveId } from '../images/images.schemas';

export const keyParams = z.object({
  id: positiveId.openapi({ param: { name: 'id', in: 'path' }, type: 'integer', example: 7 }),
});

// Form fields arrive as strings; JSON sends numbers.
const seconds = z
  .union([
    z.number(),
    z
      .string()
      .trim()
      .regex(/^\d{1,12}$/, 'Must be a whole number of seconds')
      .transform(Number),
  ])
  .pipe(
    z.number().int().min(60, 'Must be at least 60 seconds').max(MAX_KEY_LIFETIME_SECONDS, 'Must be at most ten years'),
  );

const instant = z.string().transform((value, ctx) => {
  const parsed = parseInstant(value);
  if (!parsed) {
    ctx.addIssue({ code: 'custom', message: 'Must be unix seconds or ISO 8601' });
    return z.NEVER;
  }
  return parsed.ms;
});

export const newKeySchema = z
  .object({
    name: z
      .string()
      .trim()
      .min(1, 'Must not be empty')
      .max(100, 'Must be at most 100 characters')
      .refine((s) => !hasControl(s), 'Must not contain control characters')
      .optional()
      .openapi({ example: 'backup script', description: 'A label for you; 1–100 characters' }),
    scope: z.enum(['read', 'read-write']).openapi({
      description:
        '`read`: only GET requests; `read-write`: everything a login can do except managing keys and logging out',
      example: 'read-write',
    }),
    expires_in: seconds.optional().openapi({
      type: 'integer',
      minimum: 60,
      maximum: MAX_KEY_LIFETIME_SECONDS,
      description: 'Lifetime in seconds (or give `expires_at`; neither: the key never expires)',
      example: 2_592_000,
    }),
    expires_at: instant.optional().openapi({
      type: 'string',
      description: 'When the key stops working: ISO 8601 with a zone, or unix seconds; at most ten years ahead',
      example: '2027-01-01T00:00:00Z',
    }),
  })
  .superRefine((body, ctx) => {
    if (body.expires_in !== undefined && body.expires_at !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['expires_at'], message: 'Give expires_in or expires_at, not both' });
    }
  })
  .openapi('NewApiKeyRequest');

const apiKeyShape = {
  id: z.number().int().openapi({ example: 7 }),
  prefix: z
    .string()
    .openapi({ description: 'The visible start of the key, for recognising it', example: 'iak_1_k3v9x2ma' }),
  name: z.string().nullable().openapi({ example: 'backup script' }),
  scope: z.enum(['read', 'read-write']),
  created_at: z.string().openapi({ format: 'date-time' }),
  last_used_at: z
    .string()
    .nullable()
    .openapi({ format: 'date-time', description: 'Updated at most once a minute; null if never used' }),
  expires_at: z.string().nullable().openapi({ format: 'date-time', description: 'Null: never expires' }),
};

export const apiKeySchema = z.object(apiKeyShape).openapi('ApiKey');

// Spelled out rather than extending ApiKey: one flat object is simpler for generated clients.
export const createdKeySchema = z
  .object({
    ...apiKeyShape,
    key: z.string().openapi({
      description: 'The secret, shown this once and stored only as a hash: send it as `Authorization: Bearer <key>`',
      example: 'iak_1_k3v9x2ma_9Vn1HhO0xq1S3k2c8b7wJb3wR2mXoP0aZ4d5e6f7g8h',
    }),
  })
  .openapi('CreatedApiKey');

export const apiKeyListSchema = z.object({ items: z.array(apiKeySchema) }).openapi('ApiKeyList');
