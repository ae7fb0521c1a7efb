import { z } from '@hono/zod-openapi';
import { MAX_LINKS_PER_IMAGE, MAX_REQUEST_SIDE } from '../../limits';
import { DEFAULT_EXPIRES_IN, MAX_EXPIRES_IN, MIN_EXPIRES_IN } from '../../services/share-links';
import { FITS, FORMATS, type VariantRequest, variantRequestIssues } from '../../services/variants';
import { imageParams } from '../images/images.schemas';

export const linkParams = imageParams.extend({
  link: z
    .string()
    .regex(/^[A-Za-z0-9_-]{22}$/, 'Not a share link id')
    .openapi({ param: { name: 'link', in: 'path' }, example: 'q3Zl0m5Yb1V9xK2c8TtW4A' }),
});

/** Any string: a malformed token answers the same 404 as an expired or revoked one. */
export const tokenParams = z.object({
  token: z.string().openapi({
    param: { name: 'token', in: 'path' },
    description: 'The token from a share link URL',
  }),
});

const side = (description: string) => z.number().int().min(1).max(MAX_REQUEST_SIDE).optional().openapi({ description });

/** The variant query parameters as JSON, to pin on a link. */
export const pinnedVariant = z
  .object({
    width: side('Variant width in pixels'),
    height: side('Variant height in pixels'),
    fit: z.enum(FITS).optional(),
    format: z.enum([...FORMATS, 'auto']).optional(),
    quality: z.number().int().min(1).max(100).optional(),
    enlarge: z.boolean().optional(),
  })
  .strict()
  .superRefine((v: VariantRequest, ctx) => {
    for (const issue of variantRequestIssues(v))
      ctx.addIssue({ code: 'custom', path: [issue.name], message: issue.message });
  })
  .openapi('PinnedVariant', {
    description: 'Variant parameters as on `GET /api/v1/images/{id}/file`; the link serves only this variant',
    example: { width: 1024, format: 'auto' },
  });

export const createLinkBody = z
  .object({
    expires_in: z
      .number()
      .int()
      .min(MIN_EXPIRES_IN)
      .max(MAX_EXPIRES_IN)
      .optional()
      .openapi({
        description: `Seconds until the link stops working: ${MIN_EXPIRES_IN} to ${MAX_EXPIRES_IN} (30 days), default ${DEFAULT_EXPIRES_IN}`,
        example: 3600,
      }),
    variant: pinnedVariant.optional(),
  })
  .strict()
  .openapi('ShareLinkRequest');

export const shareLinkSchema = z
  .object({
    id: z.string().openapi({ description: 'Names the link for revocation', example: 'q3Zl0m5Yb1V9xK2c8TtW4A' }),
    url: z.string().openapi({
      description: "The link: fetches the image without credentials. Built from this request's host.",
      example: 'http://localhost:8000/api/v1/shared/q3Zl0m5Yb1V9xK2c8TtW4A.Pm…',
    }),
    image_id: z.number().int().openapi({ example: 42 }),
    variant: pinnedVariant.nullable().openapi({ description: 'The pinned variant; null serves the original' }),
    created_at: z.string().openapi({ format: 'date-time' }),
    expires_at: z.string().openapi({ format: 'date-time' }),
    expires_at_unix: z.number().int().openapi({ description: 'Unix seconds' }),
  })
  .openapi('ShareLink');

export const shareLinkListSchema = z
  .object({
    items: z
      .array(shareLinkSchema)
      .openapi({ description: `Live links, newest first (at most ${MAX_LINKS_PER_IMAGE})` }),
  })
  .openapi('ShareLinkList');
