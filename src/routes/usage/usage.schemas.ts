import { z } from '@hono/zod-openapi';
import { rangeEnd, rangeStart, type TimeRange } from '../../services/time-filters';
import { MAX_DAYS } from '../../services/usage';
import { instantParam as instant } from '../time-params';

/** The days of a series, read like the image list's date filters. */
export const usageQuery = z
  .object({
    from: instant('from', {
      description: 'First day (its UTC day; unix seconds or ISO 8601). Default: 29 days before `to`',
      example: '2026-11-01',
    }),
    to: instant('to', {
      description: `Last day, included (a bare date means that whole UTC day). Default: today. At most ${MAX_DAYS} days after \`from\``,
      example: '2026-11-30',
    }),
  })
  .transform(
    (q): TimeRange => ({
      ...(q.from ? { from: rangeStart(q.from) } : {}),
      ...(q.to ? { until: rangeEnd(q.to) } : {}),
    }),
  );

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

const counters = {
  requests: z.number().int().openapi({ description: 'Authenticated requests answered', example: 42 }),
  requests_by_operation: z
    .record(z.string(), z.number().int())
    .openapi({ description: 'Requests per OpenAPI operationId', example: { listImages: 30, uploadImage: 12 } }),
  bytes_uploaded: z.number().int().openapi({ description: 'Bytes of images stored' }),
  bytes_downloaded: z.number().int().openapi({ description: 'Image bytes sent (a range counts its length)' }),
  uploads_refused: z.number().int().openapi({ description: 'Uploads refused by a quota' }),
};

export const usageReportSchema = z
  .object({
    user_id: z.number().int(),
    from: z.string().openapi({ format: 'date', example: '2026-11-01' }),
    to: z.string().openapi({ format: 'date', example: '2026-11-30' }),
    storage: storageSchema,
    totals: z.object(counters).openapi('UsageTotals', { description: 'Sums over the days of the series' }),
    days: z
      .array(
        z
          .object({ date: z.string().openapi({ format: 'date', example: '2026-11-28' }), ...counters })
          .openapi('DayUsage'),
      )
      .openapi({ description: 'Days with any activity, oldest first (UTC)' }),
  })
  .openapi('UsageReport');
