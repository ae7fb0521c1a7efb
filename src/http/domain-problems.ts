import type { ContentfulStatusCode } from 'hono/utils/http-status';
import {
  Busy,
  CannotProcess,
  Conflict,
  type DomainError,
  DuplicateImage,
  type FieldIssue,
  Forbidden,
  Inconsistent,
  InvalidInput,
  Misconfigured,
  NotFound,
  QuotaExceeded,
  type QuotaStanding,
  Throttled,
  TooLarge,
  Unauthenticated,
  UnsupportedFormat,
} from '../services/errors';
import type { ExistingImage } from './problem';

/** Every 401 names the scheme it expects (RFC 9110 §11.6.1). */
export const CHALLENGE = { 'WWW-Authenticate': 'Bearer realm="imageapi"' } as const;

export interface ProblemParts {
  status: ContentfulStatusCode;
  detail: string;
  errors?: FieldIssue[];
  headers?: Record<string, string>;
  quota?: QuotaStanding;
  existingImage?: ExistingImage;
}

/** The one mapping from what a service says went wrong to the problem response that says it. */
export function problemFor(err: DomainError): ProblemParts {
  const { detail } = err;
  if (err instanceof InvalidInput) return { status: 400, detail, ...(err.fields.length ? { errors: err.fields } : {}) };
  if (err instanceof Unauthenticated) return { status: 401, detail, headers: { ...CHALLENGE } };
  if (err instanceof QuotaExceeded) {
    // The image count is a rule about what may be stored; bytes are about this content's size.
    return { status: err.quota.limit === 'images' ? 403 : 413, detail, quota: err.quota };
  }
  if (err instanceof Forbidden) return { status: 403, detail };
  if (err instanceof NotFound) return { status: 404, detail };
  if (err instanceof DuplicateImage) {
    return { status: 409, detail, existingImage: { id: err.imageId, url: `/api/v1/images/${err.imageId}` } };
  }
  if (err instanceof Conflict) return { status: 409, detail };
  if (err instanceof TooLarge) return { status: 413, detail };
  if (err instanceof UnsupportedFormat) return { status: 415, detail };
  if (err instanceof CannotProcess) return { status: 422, detail };
  if (err instanceof Busy) {
    return { status: 503, detail, headers: { 'Retry-After': String(err.retryAfterSeconds) } };
  }
  if (err instanceof Throttled) {
    return { status: 429, detail, headers: { 'Retry-After': String(err.retryAfterSeconds) } };
  }
  if (err instanceof Inconsistent || err instanceof Misconfigured) return { status: 500, detail };
  // A new kind of DomainError not mapped yet: a server fault, never a guess at a 4xx.
  return { status: 500, detail };
}
