import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { FieldIssue, QuotaStanding } from '../services/errors';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

// The services' own shapes (FieldIssue, QuotaStanding), as the document names them.

export const fieldErrorSchema = z
  .object({
    name: z.string().openapi({ example: 'email' }),
    in: z.enum(['body', 'query', 'path', 'header', 'cookie']).openapi({ example: 'body' }),
    message: z.string().openapi({ example: 'Invalid email address' }),
  })
  .openapi('FieldError') satisfies z.ZodType<FieldIssue>;

/** On a refusal by a quota: which limit, and where the user stands against it. */
export const quotaProblemSchema = z
  .object({
    limit: z.enum(['bytes', 'images']).openapi({ description: 'Which quota refused the request' }),
    max: z.number().int().openapi({ description: 'The quota', example: 10_737_418_240 }),
    used: z.number().int().openapi({ description: 'Stored now', example: 10_737_000_000 }),
    requested: z.number().int().openapi({ description: 'What the request would add', example: 500_000 }),
  })
  .openapi('QuotaProblem') satisfies z.ZodType<QuotaStanding>;

/** On an upload refused as a duplicate (`on_duplicate=reject`): the image already holding its bytes. */
export const existingImageSchema = z
  .object({
    id: z.number().int().openapi({ example: 42 }),
    url: z.string().openapi({ description: 'Its metadata', example: '/api/v1/images/42' }),
  })
  .openapi('ExistingImage');

export type ExistingImage = z.infer<typeof existingImageSchema>;

export const problemSchema = z
  .object({
    type: z.string().openapi({ example: 'about:blank' }),
    title: z.string().openapi({ example: 'Bad Request' }),
    status: z.number().int().openapi({ example: 400 }),
    detail: z.string().optional().openapi({ example: 'The request body is not valid JSON.' }),
    instance: z.string().optional().openapi({ example: '/api/user/register' }),
    request_id: z.string().optional(),
    errors: z.array(fieldErrorSchema).optional(),
    quota: quotaProblemSchema.optional(),
    existing_image: existingImageSchema.optional(),
  })
  .openapi('Problem', { description: 'RFC 9457 problem details' });

export type Problem = z.infer<typeof problemSchema>;

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  416: 'Range Not Satisfiable',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  499: 'Client Closed Request',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export const titleFor = (status: number) => TITLES[status] ?? 'Error';

/**
 * An error the HTTP layer itself raises (a body it cannot read, a range it cannot serve) that
 * renders as problem details; `onError` renders it. Services throw DomainErrors instead
 * (services/errors.ts), which `problemFor` (domain-problems.ts) maps.
 */
export class ProblemError extends HTTPException {
  readonly detail: string | undefined;
  readonly errors: FieldIssue[] | undefined;
  readonly headers: Record<string, string> | undefined;
  constructor(
    status: ContentfulStatusCode,
    detail?: string,
    extra: { errors?: FieldIssue[]; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(status, { message: detail ?? titleFor(status), cause: extra.cause });
    this.detail = detail;
    this.errors = extra.errors;
    this.headers = extra.headers;
  }
}

export function problemResponse(
  c: Context,
  status: ContentfulStatusCode,
  detail?: string,
  extra: {
    errors?: FieldIssue[];
    headers?: Record<string, string>;
    quota?: QuotaStanding;
    existingImage?: ExistingImage;
  } = {},
): Response {
  const body: Problem = {
    type: 'about:blank',
    title: titleFor(status),
    status,
    ...(detail ? { detail } : {}),
    instance: c.req.path,
    ...(c.get('requestId') ? { request_id: c.get('requestId') } : {}),
    ...(extra.errors ? { errors: extra.errors } : {}),
    ...(extra.quota ? { quota: extra.quota } : {}),
    ...(extra.existingImage ? { existing_image: extra.existingImage } : {}),
  };
  return c.newResponse(JSON.stringify(body), status, {
    'Content-Type': PROBLEM_CONTENT_TYPE,
    ...extra.headers,
  });
}
