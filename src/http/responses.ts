import { PROBLEM_CONTENT_TYPE, problemSchema } from './problem';

// The OpenAPI response entries more than one route declares: the problem answers, security
// requirements, headers, and what serving image bytes answers (image owners and share links).

/** The OpenAPI response entry for an error status, sharing one schema. */
export const problemResponseSpec = (description: string) => ({
  description,
  content: { [PROBLEM_CONTENT_TYPE]: { schema: problemSchema } },
});

/** A 429 or 503 says when to come back. */
export const retryAfterHeader = {
  'Retry-After': { schema: { type: 'string' as const }, description: 'Seconds to wait before retrying' },
};

/** Security requirement for authenticated operations: cookie, bearer token or API key. */
export const authenticated: Record<string, string[]>[] = [{ cookieAuth: [] }, { bearerAuth: [] }, { apiKeyAuth: [] }];

/** For what an API key may not do (manage keys, log out): a login only. */
export const sessionOnly: Record<string, string[]>[] = [{ cookieAuth: [] }, { bearerAuth: [] }];

/** The database or the image store failed or timed out: the request may succeed if repeated. */
export const unavailableError = {
  503: {
    ...problemResponseSpec('The database or the image store failed or did not answer in time; retry later'),
    headers: retryAfterHeader,
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

// ---- image bytes ------------------------------------------------------------------------------

/** Any request naming an image. */
export const imageNotFound = {
  404: problemResponseSpec('No such image (another user’s image answers the same)'),
} as const;

const binary = { schema: { type: 'string' as const, format: 'binary' } };

const fileHeaders = {
  ETag: { schema: { type: 'string' as const }, description: 'Strong tag: the quoted SHA-256 of the bytes' },
  'Last-Modified': { schema: { type: 'string' as const } },
  'Content-Disposition': {
    schema: { type: 'string' as const },
    description: "`inline; filename*=UTF-8''…`; `attachment; …` for an unverified image",
  },
  'Content-Security-Policy': {
    schema: { type: 'string' as const },
    description: '`sandbox`, on an unverified image only (see `verified`)',
  },
  'X-Content-Type-Options': { schema: { type: 'string' as const }, description: '`nosniff`' },
  'Cache-Control': { schema: { type: 'string' as const } },
  'Accept-Ranges': { schema: { type: 'string' as const }, description: '`bytes` for originals, `none` for variants' },
  Vary: { schema: { type: 'string' as const }, description: 'Includes `Accept` when `format=auto` chose the format' },
};

export const fileRequestHeaders = {
  // Documented for clients; read straight from the request by the handler.
  parameters: [
    { name: 'If-None-Match', in: 'header' as const, required: false, schema: { type: 'string' as const } },
    {
      name: 'Range',
      in: 'header' as const,
      required: false,
      schema: { type: 'string' as const, example: 'bytes=0-1023' },
    },
    { name: 'If-Range', in: 'header' as const, required: false, schema: { type: 'string' as const } },
  ],
};

/** What serving bytes can answer, whoever asks (the owner, or a share link). */
export const fileOutcomes = {
  200: { description: 'The image bytes', headers: fileHeaders, content: { 'image/*': binary } },
  206: {
    description: 'The requested byte range',
    headers: { ...fileHeaders, 'Content-Range': { schema: { type: 'string' as const } } },
    content: { 'image/*': binary },
  },
  304: {
    description: 'Not modified (If-None-Match matched); the same ETag and safety headers as the 200',
    headers: {
      ETag: fileHeaders.ETag,
      'Content-Disposition': fileHeaders['Content-Disposition'],
      'Content-Security-Policy': fileHeaders['Content-Security-Policy'],
      'X-Content-Type-Options': fileHeaders['X-Content-Type-Options'],
      Vary: fileHeaders.Vary,
    },
  },
  ...imageNotFound,
  416: problemResponseSpec('Range not satisfiable'),
} as const;

export const variantRefused = {
  422: problemResponseSpec(
    'No variant of this image: its format gets none (BMP, TIFF, AVIF); it, or the variant asked for, is over ' +
      'MAX_VARIANT_PIXELS or 12000 px per side (as its decoder reads it, not as its header states); an AVIF ' +
      'variant would exceed 1200 px per side; the image could not be decoded (remembered: refused at once from ' +
      'then on); or the image already has MAX_VARIANTS_PER_IMAGE variants. The original is still served without ' +
      'variant parameters.',
  ),
} as const;
