/**
 * Settings of the Node and Bun servers: the shared ones through `parseConfig` (same names and
 * defaults as the Workers vars), plus where to listen and where data lives.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { z } from '@hono/zod-openapi';
import { type Config, parseConfig } from '../config';
import type { S3Settings } from '../storage/s3';
import { S3SettingsError, s3SettingsFrom } from './s3-settings';

export const localSchema = z.object({
  HOST: z.string().trim().min(1).default('localhost'),
  PORT: z.coerce.number().int().min(0).max(65_535).default(8000),
  DATABASE_URL: z.string().trim().min(1).default('file:./data/imageapi.db'),
  DATABASE_AUTH_TOKEN: z.string().optional(),
  // When DATABASE_URL is a sqld replica: its primary, so that reads through the replica are current.
  DATABASE_PRIMARY_URL: z
    .string()
    .trim()
    .regex(/^https?:\/\//i, "the primary's http(s):// URL")
    .optional(),
  IMAGES_DIR: z.string().trim().min(1).default('./data/images'),
  // Only behind a reverse proxy that every request passes through: X-Forwarded-For is then believed.
  TRUST_PROXY: z.enum(['true', 'false']).default('false'),
  NODE_ENV: z.string().optional(),
});

/** Where to listen and where data lives, as the servers read it; `LocalSettings` adds the shared config. */
const serverSchema = localSchema.transform((env) => ({
  host: env.HOST,
  port: env.PORT,
  databaseUrl: env.DATABASE_URL,
  databaseAuthToken: env.DATABASE_AUTH_TOKEN,
  databasePrimaryUrl: env.DATABASE_PRIMARY_URL,
  imagesDir: env.IMAGES_DIR,
  /** Take the client's address from X-Forwarded-For (its last entry) instead of the socket. */
  trustProxy: env.TRUST_PROXY === 'true',
  development: env.NODE_ENV === 'development',
}));

export type LocalSettings = z.output<typeof serverSchema> & {
  config: Config;
  /** Images in this S3-compatible bucket instead of `imagesDir` (S3_BUCKET and its keys). */
  s3?: S3Settings;
  /** Things the operator should know, logged at start. */
  warnings: string[];
};

/** A setting that makes starting pointless; the message is meant for the operator. */
export class SettingsError extends Error {
  override name = 'SettingsError';
}

/** The process environment (or what a test passes instead); not the Workers `Env` bindings. */
export type EnvVars = Record<string, string | undefined>;

/** `AUTH_SECRET=…` from a wrangler-style `.dev.vars` (what `npm start` creates), if any. */
export function devVarsSecret(file = '.dev.vars'): string | undefined {
  if (!existsSync(file)) return undefined;
  const line = readFileSync(file, 'utf8')
    .split(/\r?\n/)
    .find((l) => /^\s*AUTH_SECRET\s*=/.test(l));
  const value = line
    ?.slice(line.indexOf('=') + 1)
    .trim()
    .replace(/^(['"])(.*)\1$/, '$2');
  return value || undefined;
}

/**
 * Reads the settings; throws `SettingsError` when the server must not start. Outside
 * development a missing or short AUTH_SECRET is fatal. In development (NODE_ENV=development)
 * the secret falls back to `.dev.vars`, then to a random one that lasts until the process ends.
 */
export function loadSettings(env: EnvVars, readDevVars: () => string | undefined = devVarsSecret): LocalSettings {
  const parsed = serverSchema.safeParse(
    Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === '' ? undefined : v])),
  );
  if (!parsed.success) {
    const fields = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new SettingsError(`Invalid configuration: ${fields}`);
  }
  const server = parsed.data;
  if (server.databasePrimaryUrl && /^file:/i.test(server.databaseUrl)) {
    throw new SettingsError(
      'DATABASE_PRIMARY_URL names the primary of a sqld replica: DATABASE_URL must then be the replica, not a file',
    );
  }
  const { development } = server;
  const warnings: string[] = [];

  let config: Config;
  try {
    config = parseConfig(env);
  } catch (err) {
    throw new SettingsError((err as Error).message);
  }
  const problem = config.authSecretProblem;
  if (problem) {
    if (!development) {
      throw new SettingsError(
        `${problem}. Set AUTH_SECRET to at least 32 random bytes, e.g. ` +
          '`AUTH_SECRET=$(openssl rand -hex 32)` in the environment or in .env; ' +
          'for a local trial, NODE_ENV=development uses a throwaway secret instead.',
      );
    }
    const fromDevVars = readDevVars();
    const devConfig = fromDevVars ? parseConfig({ ...env, AUTH_SECRET: fromDevVars }) : undefined;
    if (devConfig && !devConfig.authSecretProblem) {
      config = devConfig;
      warnings.push(`${problem}; using the one in .dev.vars (development)`);
    } else {
      warnings.push(
        `${problem}; using a random secret for this process only (development): sessions end when it stops`,
      );
      config = parseConfig({ ...env, AUTH_SECRET: randomBytes(32).toString('hex') });
    }
  }

  let s3: S3Settings | undefined;
  try {
    s3 = s3SettingsFrom(env);
  } catch (err) {
    if (err instanceof S3SettingsError) throw new SettingsError(err.message);
    throw err;
  }

  return { ...server, config, warnings, ...(s3 ? { s3 } : {}) };
}
