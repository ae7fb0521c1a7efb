import { problemResponseSpec } from './problem';

/** Security requirement for authenticated operations: cookie, bearer token or API key. */
export const authenticated: Record<string, string[]>[] = [{ cookieAuth: [] }, { bearerAuth: [] }, { apiKeyAuth: [] }];

/** For what an API key may not do (manage keys, log out): a login only. */
export const sessionOnly: Record<string, string[]>[] = [{ cookieAuth: [] }, { bearerAuth: [] }];

/** The database or the image store failed or timed out: the request may succeed if repeated. */
export const unavailableError = {
  503: {
    ...problemResponseSpec('The database or the image store failed or did not answer in time; retry later'),
    headers: { 'Retry-After': { schema: { type: 'string' as const }, description: 'Seconds to wait before retrying' } },
  },
} as const;

/** Error responses shared by authenticated operations. */
export const authErrors = {
  401: problemResponseSpec('Not authenticated, or the token is invalid, expired or revoked'),
  500: problemResponseSpec('Unexpected error, or authentication not configured'),
  ...unavailableError,
} as const;

export const validationError = { 400: problemResponseSpec('Invalid request: the problem names the fields') } as const;

/** Every route that reads a body: a client that stalls or trickles is cut off (BODY_IDLE_SECONDS). */
export const slowBodyError = {
  408: problemResponseSpec(
    'The body stalled for BODY_IDLE_SECONDS, or arrived slower than BODY_MIN_BYTES_PER_SECOND on average',
  ),
} as const;

/** What a small JSON-or-form body can be refused for. */
export const smallBodyErrors = {
  ...validationError,
  ...slowBodyError,
  413: problemResponseSpec('Body too large'),
  415: problemResponseSpec('Body is neither JSON nor a form'),
} as const;
