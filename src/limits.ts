/**
 * The fixed resource bounds, in one place. Bounds an operator may change are settings
 * (src/config.ts); every bound, fixed or set, is listed with its test in docs/limits.md.
 * The code that reads (src/http/body.ts, src/http/multipart-parts.ts, the listeners in
 * src/runtime) takes its numbers from here, so a bound cannot be enforced in one place and
 * described differently in another.
 */

/** A JSON or form body (credentials, tag lists, key and link requests): a few KiB at most. */
export const SMALL_BODY_BYTES = 64 * 1024;

/** Room for multipart boundaries, part headers and the tags field around the image itself. */
export const MULTIPART_OVERHEAD_BYTES = 64 * 1024;

/** Every non-file field of an upload form together (the tags, as JSON or repeated fields). */
export const MAX_FORM_FIELD_BYTES = 64 * 1024;

/** Parts of one upload form: an image, a tags field, or up to the tag limit of repeated fields. */
export const MAX_FORM_PARTS = 100;

/** One part's header block; browsers send a few hundred bytes. */
export const MAX_PART_HEADER_BYTES = 16 * 1024;

/**
 * Node's listener: the request line and headers must arrive within this. Bun's `idleTimeout`
 * (seconds of silence on a connection) is the nearest it has, set to the body idle timeout.
 */
export const HEADERS_TIMEOUT_MS = 20_000;

/** A keep-alive connection with no request in flight is closed after this. */
export const KEEP_ALIVE_TIMEOUT_MS = 5_000;

/** Bun's `idleTimeout` takes whole seconds up to this. */
export const BUN_MAX_IDLE_SECONDS = 255;

/** Tags per image (and so per upload or tag edit). */
export const MAX_TAGS_PER_IMAGE = 50;

/** Characters in one tag. */
export const MAX_TAG_LENGTH = 64;

/** Links per image, live or not yet cleaned up; expired ones are removed when a new one is made. */
export const MAX_LINKS_PER_IMAGE = 50;

/** API keys per user. */
export const MAX_KEYS_PER_USER = 50;

/** Largest `width`/`height` a client may ask for. */
export const MAX_REQUEST_SIDE = 4096;

/** Largest source or output side (Cloudflare Images' limit, applied everywhere for the same answers). */
export const MAX_SOURCE_SIDE = 12_000;

/** Cloudflare Images makes AVIF up to this many pixels per side; `auto` picks AVIF only within it. */
export const MAX_AVIF_SIDE = 1200;

/** A decode still running after this long is stopped, and the image counted as undecodable. */
export const DECODE_TIMEOUT_SECONDS = 30;

/**
 * Per process: decodes at once, requests that may wait for one, and the pixel memory the decodes
 * in flight may hold together (an image that alone needs more gets no variants).
 */
export const DECODE_LIMITS = { running: 2, queued: 16, memoryBytes: 192 * 2 ** 20 };

/** Items in one v1 list page (`limit`). */
export const MAX_PAGE = 200;

/**
 * Password derivations (PBKDF2, 100,000 rounds each) at once per process or isolate, and requests
 * that may wait for one (a waiter holds only its request; the login throttle lets 100 checks per
 * address through at once, so a burst of them queues rather than fails); past that, 503. Logins are also throttled per account
 * and address (src/services/login-throttle.ts).
 */
export const PASSWORD_HASHES = { running: 2, queued: 256 };

/**
 * A part URL the app serves (`PUT /api/v1/uploads/{id}/parts/{n}?token=…`) works for this long,
 * or until its session expires if sooner; `GET /api/v1/uploads/{id}` hands out fresh ones.
 */
export const UPLOAD_PART_TOKEN_SECONDS = 3600;

/** Parts of one upload session, as S3 allows. */
export const MAX_UPLOAD_PARTS = 10_000;

/** How long a complete waits for a racing complete of the same session before answering 409. */
export const COMPLETION_WAIT_MS = 20_000;
