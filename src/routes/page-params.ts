import { z } from '@hono/zod-openapi';

/** Page size when a list query gives none. */
export const DEFAULT_PAGE = 50;

/** A list query's `limit`: a decimal integer from 1 to `max`, 50 when absent. */
export const pageLimit = (max: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined) return DEFAULT_PAGE;
      const n = /^\d{1,4}$/.test(v) ? Number(v) : Number.NaN;
      if (!(n >= 1 && n <= max)) ctx.addIssue({ code: 'custom', message: `limit must be 1 to ${max}` });
      return n;
    })
    .openapi({ type: 'integer', minimum: 1, maximum: max, default: DEFAULT_PAGE, description: 'Page size' });
