import { describe, expect, it } from 'vitest';
import { problemFor } from '../../src/http/domain-problems';
import {
  CannotProcess,
  Conflict,
  type DomainError,
  Forbidden,
  Inconsistent,
  InvalidInput,
  Misconfigured,
  NotFound,
  QuotaExceeded,
  Throttled,
  TooLarge,
  Unauthenticated,
  UnsupportedFormat,
} from '../../src/services/errors';

/** The one mapping from service errors to problem responses: status, headers, extras. */
describe('problemFor', () => {
  it.each<[string, DomainError, number]>([
    ['InvalidInput', new InvalidInput('bad'), 400],
    ['Unauthenticated', new Unauthenticated('who?'), 401],
    ['Forbidden', new Forbidden('no'), 403],
    ['NotFound', new NotFound('gone'), 404],
    ['Conflict', new Conflict('taken'), 409],
    ['TooLarge', new TooLarge('big'), 413],
    ['UnsupportedFormat', new UnsupportedFormat('svg'), 415],
    ['CannotProcess', new CannotProcess('no variant'), 422],
    ['Throttled', new Throttled('slow down', 7), 429],
    ['Inconsistent', new Inconsistent('bytes missing'), 500],
    ['Misconfigured', new Misconfigured('no secret'), 500],
  ])('%s → %i, detail as said', (_name, err, status) => {
    expect(problemFor(err)).toMatchObject({ status, detail: err.detail });
  });

  it('names the bearer challenge on every 401 and Retry-After on 429', () => {
    expect(problemFor(new Unauthenticated('x')).headers).toEqual({ 'WWW-Authenticate': 'Bearer realm="imageapi"' });
    expect(problemFor(new Throttled('x', 42)).headers).toEqual({ 'Retry-After': '42' });
    expect(problemFor(new NotFound('x')).headers).toBeUndefined();
  });

  it('lists field issues only when there are some', () => {
    const fields = [{ name: 'tag', in: 'path' as const, message: 'Too many' }];
    expect(problemFor(new InvalidInput('x', fields)).errors).toEqual(fields);
    expect(problemFor(new InvalidInput('x')).errors).toBeUndefined();
  });

  it('answers a quota refusal 403 for the image count and 413 for bytes, with the standing', () => {
    const images = { limit: 'images' as const, max: 3, used: 3, requested: 1 };
    const bytes = { limit: 'bytes' as const, max: 100, used: 90, requested: 20 };
    expect(problemFor(new QuotaExceeded(images))).toMatchObject({ status: 403, quota: images });
    expect(problemFor(new QuotaExceeded(bytes))).toMatchObject({ status: 413, quota: bytes });
  });
});
