import { z } from '@hono/zod-openapi';
import { MAX_UPLOAD_PARTS } from '../../limits';
import { checkTagList } from '../../services/tag-rules';

const uploadId = z
  .string()
  .regex(/^[A-Za-z0-9_-]{22}$/, 'Not an upload id')
  .openapi({ param: { name: 'id', in: 'path' }, example: 'Qm9vbXNoYWthbGFrYWxhaw' });

export const uploadParams = z.object({ id: uploadId });

export const partParams = z.object({
  id: uploadId,
  n: z
    .string()
    .regex(/^[1-9]\d{0,4}$/, 'Must be a part number')
    .transform(Number)
    .refine((n) => n <= MAX_UPLOAD_PARTS, `At most ${MAX_UPLOAD_PARTS} parts`)
    .openapi({ param: { name: 'n', in: 'path' }, type: 'integer', example: 1 }),
});

export const partQuery = z.object({
  token: z.string().min(1).max(200).openapi({ description: 'From the part’s `url`: opens this part only' }),
});

const tagList = z
  .array(z.string())
  .optional()
  .transform((tags, ctx) => {
    const checked = checkTagList(tags ?? []);
    if (checked.ok) return checked.tags;
    for (const message of checked.messages) ctx.addIssue({ code: 'custom', message });
    return z.NEVER;
  })
  .openapi({
    type: 'array',
    items: { type: 'string' },
    description: 'Tags, as the v1 upload takes them: trimmed, 1–64 characters, at most 50',
    example: ['holiday'],
  });

export const newUploadSchema = z
  .object({
    file_name: z.string().min(1).max(1024).openapi({ example: 'panorama.tiff' }),
    content_type: z.string().min(1).max(200).openapi({
      description: 'PNG, JPEG, GIF, WebP, AVIF, BMP or TIFF; the stored type is the one sniffed at completion',
      example: 'image/tiff',
    }),
    size: z.number().int().positive().openapi({ description: 'Exact size in bytes', example: 734003200 }),
    sha256: z
      .string()
      .regex(/^[0-9a-fA-F]{64}$/, 'Must be 64 hex digits')
      .optional()
      .openapi({ description: 'SHA-256 of the whole file (hex); completion refuses other bytes' }),
    tags: tagList,
  })
  .openapi('NewUploadSession');

const partTargetSchema = z
  .object({
    number: z.number().int().openapi({ example: 1 }),
    size: z.number().int().openapi({ description: 'The exact length this part must have', example: 8388608 }),
    url: z.string().openapi({
      description: 'Where to PUT the part: the app’s own (with a token) or the store’s (presigned)',
      example: '/api/v1/uploads/Qm9vbXNoYWthbGFrYWxhaw/parts/1?token=1764291600.abc',
    }),
    method: z.literal('PUT'),
    headers: z.record(z.string(), z.string()).openapi({ description: 'Send these with the part, as they are' }),
  })
  .openapi('UploadPartTarget');

const receivedPartSchema = z
  .object({
    number: z.number().int(),
    size: z.number().int(),
    received_at: z.string().openapi({ format: 'date-time' }),
  })
  .openapi('ReceivedUploadPart');

export const uploadSessionSchema = z
  .object({
    id: z.string().openapi({ example: 'Qm9vbXNoYWthbGFrYWxhaw' }),
    state: z.enum(['open', 'completing', 'completed', 'refused']).openapi({
      description:
        '`open`: taking parts; `completing`: a complete is at work; `completed`: `image_id` is the image; ' +
        '`refused`: completion refused the bytes (`refusal` says why) and removed them',
    }),
    file_name: z.string(),
    content_type: z.string(),
    size: z.number().int(),
    sha256: z.string().nullable(),
    tags: z.array(z.string()),
    part_size: z.number().int().openapi({ description: 'Every part but the last has exactly this size' }),
    part_count: z.number().int(),
    expires_at: z.string().openapi({ format: 'date-time' }),
    parts: z.array(partTargetSchema).openapi({ description: 'The parts still to send, with fresh URLs' }),
    received: z.array(receivedPartSchema),
    image_id: z.number().int().nullable(),
    refusal: z.string().nullable(),
  })
  .openapi('UploadSession');

export const receivedPartResponse = z
  .object({ number: z.number().int(), size: z.number().int() })
  .openapi('StoredUploadPart');
