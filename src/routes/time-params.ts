import { z } from '@hono/zod-openapi';
import { type ParsedInstant, parseInstant } from '../services/time-filters';

/**
 * An optional query instant (unix seconds or ISO 8601), parsed once; a bad one names `name`.
 * Documented as the string a client sends, with what it means here.
 */
export const instantParam = (name: string, doc: { description: string; example: string }) =>
  z
    .string()
    .optional()
    .transform((value, ctx): ParsedInstant | undefined => {
      if (value === undefined) return undefined;
      const parsed = parseInstant(value);
      if (!parsed) ctx.addIssue({ code: 'custom', message: `${name} must be unix seconds or ISO 8601` });
      return parsed;
    })
    .openapi({ type: 'string', ...doc });
