/**
 * The errors services raise. Each says what went wrong in the service's own terms and knows
 * nothing of HTTP: src/http/domain-problems.ts is the one place that turns them into problem
 * responses (status, headers).
 */

import { someCause } from '../lib/error-causes';

/** One part of the input that was refused, named as the client sent it. */
export interface FieldIssue {
  name: string;
  in: 'body' | 'query' | 'path' | 'header' | 'cookie';
  message: string;
}

/** Which quota refused a request, and where the user stands against it. */
export interface QuotaStanding {
  limit: 'bytes' | 'images';
  max: number;
  used: number;
  requested: number;
}

export abstract class DomainError extends Error {
  constructor(
    /** Said to the client as it stands. */
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(detail, options);
  }
}

/** The input breaks a rule; `fields` names the parts. */
export class InvalidInput extends DomainError {
  override name = 'InvalidInput';
  constructor(
    detail: string,
    readonly fields: FieldIssue[] = [],
  ) {
    super(detail);
  }
}

/** No credentials, credentials that prove nothing, or a session that has ended. */
export class Unauthenticated extends DomainError {
  override name = 'Unauthenticated';
}

/** Known caller, not allowed to do this (a read-only key writing, a non-operator). */
export class Forbidden extends DomainError {
  override name = 'Forbidden';
}

/** Nothing of that kind the caller may see (another user's image included). */
export class NotFound extends DomainError {
  override name = 'NotFound';
}

/** The request collides with what exists (a taken email, a full set of keys or links). */
export class Conflict extends DomainError {
  override name = 'Conflict';
}

/** An upload with `on_duplicate=reject` whose bytes the owner already has, as `imageId`. */
export class DuplicateImage extends Conflict {
  override name = 'DuplicateImage';
  constructor(readonly imageId: number) {
    super(`You already have an image with these bytes: ${imageId}.`);
  }
}

/** The content is larger than this server accepts. */
export class TooLarge extends DomainError {
  override name = 'TooLarge';
}

/** The content is not in a format this server accepts. */
export class UnsupportedFormat extends DomainError {
  override name = 'UnsupportedFormat';
}

/** Well-formed, but this image cannot be given what was asked (a variant it can never have). */
export class CannotProcess extends DomainError {
  override name = 'CannotProcess';
}

/** Too many attempts; may retry after `retryAfterSeconds`. */
export class Throttled extends DomainError {
  override name = 'Throttled';
  constructor(
    detail: string,
    readonly retryAfterSeconds: number,
  ) {
    super(detail);
  }
}

/** No room for this work now (e.g. every decode slot taken); may retry after `retryAfterSeconds`. */
export class Busy extends DomainError {
  override name = 'Busy';
  constructor(
    detail: string,
    readonly retryAfterSeconds: number,
  ) {
    super(detail);
  }
}

/** A refusal by a quota; the usage recorder counts these per day. */
export class QuotaExceeded extends DomainError {
  override name = 'QuotaExceeded';
  constructor(readonly quota: QuotaStanding) {
    super(
      quota.limit === 'images'
        ? `You have ${quota.used} of your ${quota.max} images: delete some to upload more.`
        : `Storing this image (${quota.requested} bytes) would exceed your storage quota: ${quota.used} of ${quota.max} bytes used.`,
    );
  }
}

/** What the server holds contradicts itself (a row whose bytes are missing): not the client's fault. */
export class Inconsistent extends DomainError {
  override name = 'Inconsistent';
}

/** The operator's settings make the work impossible (no signing secret): not the client's fault. */
export class Misconfigured extends DomainError {
  override name = 'Misconfigured';
}

/** True when a driver error (D1 or libsql, possibly wrapped by drizzle) is a UNIQUE violation. */
export const isUniqueViolation = (err: unknown): boolean =>
  someCause(err, (e) => /UNIQUE constraint failed/i.test(e.message));
