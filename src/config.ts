import { z } from '@hono/zod-openapi';

/** An entry of CORS_ORIGINS names an origin: no path, query, fragment or credentials. */
const isBareOrigin = (value: string) => {
  // zod runs this check even when the URL check before it failed: that one reports it.
  if (!URL.canParse(value)) return true;
  const url = new URL(value);
  return url.pathname === '/' && !url.search && !url.hash && !url.username && !url.password;
};
const ORIGIN_ONLY = 'must be an origin such as https://app.example.com, without a path';
// Browsers send the serialised origin (lower-case host, no default port): compare with that form.
const toOrigin = (value: string) => new URL(value).origin;

const boolish = z.enum(['auto', 'true', 'false']);

export const MIN_SECRET_BYTES = 32;

/** Settings shared by every runtime, as written: names match wrangler.toml vars and env vars. */
const varsSchema = z.object({
  SESSION_TTL_SECONDS: z.coerce.number().int().min(60).max(31_536_000).default(86_400),
  SECURE_COOKIES: boolish.default('auto'),
  CORS_ORIGINS: z
    .string()
    .default('')
    .transform((s) =>
      s
        .split(',')
        .map((o) => o.trim().replace(/\/+$/, ''))
        .filter(Boolean),
    )
    .pipe(
      z.array(
        z
          .url({ protocol: /^https?$/ })
          .refine(isBareOrigin, ORIGIN_ONLY)
          .transform(toOrigin),
      ),
    ),
  MAX_UPLOAD_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(100 * 1024 * 1024),
  // Upload sessions (/api/v1/uploads): the largest declared size, the size of each part but the
  // last (raised to what the store requires, 5 MiB on R2), and how long a session stays open.
  MAX_SESSION_UPLOAD_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .max(Number.MAX_SAFE_INTEGER)
    .default(5 * 1024 ** 3),
  UPLOAD_PART_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(5 * 1024 ** 3)
    .default(8 * 1024 * 1024),
  UPLOAD_SESSION_TTL_SECONDS: z.coerce.number().int().min(60).max(604_800).default(86_400),
  MAX_VARIANT_PIXELS: z.coerce.number().int().positive().default(50_000_000),
  MAX_VARIANTS_PER_IMAGE: z.coerce.number().int().min(0).max(1000).default(16),
  AUTH_SECRET: z.string().optional(),
  DB_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
  STORE_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(30_000),
  // 0 means unlimited. Generous defaults: a self-hosted instance should not surprise anyone.
  QUOTA_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(0)
    .max(Number.MAX_SAFE_INTEGER)
    .default(10 * 1024 ** 3),
  QUOTA_MAX_IMAGES: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(100_000),
  // Retired: it made operator whoever registered a listed address first. Read only to warn.
  ADMIN_EMAILS: z.string().default(''),
  // A client that sends nothing for this long, or (past it) averages under the rate, gets 408.
  BODY_IDLE_SECONDS: z.coerce.number().min(1).max(600).default(30),
  BODY_MIN_BYTES_PER_SECOND: z.coerce.number().int().min(0).max(1_000_000_000).default(8192),
  // However fast it moves, a body that takes longer than this gets 408.
  BODY_MAX_SECONDS: z.coerce.number().min(1).max(86_400).default(3600),
  // Uploads being received at once by one server process; 0 means unlimited.
  CONCURRENT_UPLOADS_PER_USER: z.coerce.number().int().min(0).max(10_000).default(8),
  CONCURRENT_UPLOADS_PER_ADDRESS: z.coerce.number().int().min(0).max(10_000).default(16),
  // Workers keep a response's background work alive for 30 s at most: stay well inside it.
  USAGE_FLUSH_SECONDS: z.coerce.number().min(0).max(20).default(5),
});

const COOKIE_MODES = { auto: 'auto', true: 'always', false: 'never' } as const;

/** Why AUTH_SECRET is unusable (for the log), or undefined when it is fine. */
function secretProblem(secret: string | undefined) {
  if (secret === undefined) return 'AUTH_SECRET is not set';
  const bytes = new TextEncoder().encode(secret).byteLength;
  return bytes < MIN_SECRET_BYTES
    ? `AUTH_SECRET is ${bytes} bytes; at least ${MIN_SECRET_BYTES} are required`
    : undefined;
}

/** The vars, parsed into the settings the app reads; `Config` is its output type. */
export const configSchema = varsSchema.transform((env) => {
  const authSecretProblem = secretProblem(env.AUTH_SECRET);
  return {
    sessionTtlSeconds: env.SESSION_TTL_SECONDS,
    /** `auto`: Secure when the request came over https. */
    secureCookies: COOKIE_MODES[env.SECURE_COOKIES],
    corsOrigins: env.CORS_ORIGINS,
    maxUploadBytes: env.MAX_UPLOAD_BYTES,
    /** Largest declared size of an upload session. */
    maxSessionUploadBytes: env.MAX_SESSION_UPLOAD_BYTES,
    /** Bytes per part of an upload session (at least what the store requires). */
    uploadPartBytes: env.UPLOAD_PART_BYTES,
    /** An upload session not completed within this is aborted by housekeeping. */
    uploadSessionTtlMs: env.UPLOAD_SESSION_TTL_SECONDS * 1000,
    /** Largest source image (width × height) that variants are made from. */
    maxVariantPixels: env.MAX_VARIANT_PIXELS,
    /** Distinct stored variants per image, besides the list thumbnail. */
    maxVariantsPerImage: env.MAX_VARIANTS_PER_IMAGE,
    /** Undefined when missing or too short; authenticated routes then answer 500. */
    authSecret: authSecretProblem ? undefined : env.AUTH_SECRET,
    /** Why authSecret is unusable, for the log. */
    authSecretProblem,
    /** A database batch not answered in this time is a 503 (Retry-After). */
    dbTimeoutMs: env.DB_TIMEOUT_MS,
    /** A store call not answered in this time (plus 1 s per MiB for a put) is a 503. */
    storeTimeoutMs: env.STORE_TIMEOUT_MS,
    /** Per-user defaults; 0 = unlimited. The operator can override them per user. */
    quotaMaxBytes: env.QUOTA_MAX_BYTES,
    quotaMaxImages: env.QUOTA_MAX_IMAGES,
    /** ADMIN_EMAILS is set: it grants nothing any more, and the server says so in its log. */
    adminEmailsIgnored: env.ADMIN_EMAILS.trim() !== '',
    /** How long usage counts may wait in memory before they are written; 0 = after every request. */
    usageFlushMs: Math.round(env.USAGE_FLUSH_SECONDS * 1000),
    /** A request body that sends nothing for this long is refused (408). */
    bodyIdleMs: Math.round(env.BODY_IDLE_SECONDS * 1000),
    /** Past bodyIdleMs of waiting, a body slower than this on average is refused (408). */
    bodyMinBytesPerSecond: env.BODY_MIN_BYTES_PER_SECOND,
    /** A request body still arriving after this long is refused (408). */
    bodyMaxMs: Math.round(env.BODY_MAX_SECONDS * 1000),
    /** Uploads one user, and one client address, may have in flight per server process (0 = no cap). */
    concurrentUploadsPerUser: env.CONCURRENT_UPLOADS_PER_USER,
    concurrentUploadsPerAddress: env.CONCURRENT_UPLOADS_PER_ADDRESS,
  };
});

export type Config = z.output<typeof configSchema>;

/** Parses settings once; throws with every bad field named. */
export function parseConfig(source: Record<string, unknown>): Config {
  const picked = Object.fromEntries(
    Object.keys(varsSchema.shape).map((k) => [
      k,
      source[k] === '' && k !== 'CORS_ORIGINS' && k !== 'ADMIN_EMAILS' ? undefined : source[k],
    ]),
  );
  const result = configSchema.safeParse(picked);
  if (!result.success) {
    const fields = result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`Invalid configuration: ${fields}`);
  }
  return result.data;
}
