import { env as isolateEnv } from 'cloudflare:workers';
import { Hono } from 'hono';
import { requestId } from 'hono/request-id';
import { type App, createApp, type GivenDeps } from './app';
import { parseConfig } from './config';
import { d1Database } from './db/client';
import { d1Sessions } from './db/d1-session';
import { cfConnectingIp } from './http/client-address';
import { problemResponse } from './http/problem';
import { API_CSP, securityHeaders } from './http/security-headers';
import { workersWebAssets } from './http/web-assets';
import { consoleLogger } from './lib/logger';
import { s3SettingsFrom } from './runtime/s3-settings';
import { finishAccountDeletions } from './services/account-lifecycle';
import { ADMIN_EMAILS_IGNORED } from './services/admin';
import { sweepOrphanBytes } from './services/housekeeping';
import { pruneLoginThrottle } from './services/login-throttle';
import { expireUploadSessions } from './services/upload-sessions';
import { r2Store } from './storage/r2';
import { s3Store } from './storage/s3';
import { withS3Multipart } from './storage/s3-multipart';
import { imagesBindingTransformer } from './transform/images-binding';

type Built = { env: Env; app: App; deps: GivenDeps } | { env: Env; error: unknown };

/**
 * D1_READ_REPLICATION (wrangler.toml): Workers only, so read here rather than in the settings
 * every runtime shares. Anything but "on" or "off" is refused like any other bad var.
 */
function readReplication(env: Env): boolean {
  const value: string = env.D1_READ_REPLICATION ?? 'off';
  if (value !== 'on' && value !== 'off') {
    throw new Error('Invalid configuration: D1_READ_REPLICATION: must be "on" or "off"');
  }
  return value === 'on';
}

/**
 * R2 through its binding; with S3 credentials for the same bucket (S3_BUCKET, S3_ENDPOINT = R2's
 * S3 endpoint, and the R2 token's keys as secrets), upload sessions presign their parts there.
 */
function imageStore(env: Env) {
  const s3 = s3SettingsFrom(env as unknown as Record<string, string | undefined>);
  const store = r2Store(env.IMAGES);
  return s3 ? withS3Multipart(store, s3Store(s3)) : store;
}

function build(env: Env): Built {
  try {
    const deps: GivenDeps = {
      db: d1Database(env.DB),
      // Off, every request shares one drizzle instance and its prepared statements; on, each
      // builds its own over its session (a per-request cost worth paying only with replicas).
      ...(readReplication(env) ? { dbSessions: d1Sessions(env.DB) } : {}),
      store: imageStore(env),
      transformer: imagesBindingTransformer(env.IMAGES_TRANSFORM),
      config: parseConfig(env as unknown as Record<string, unknown>),
      clock: () => new Date(),
      logger: consoleLogger,
      clientAddress: cfConnectingIp,
      webAssets: workersWebAssets(env.ASSETS),
    };
    // Once per isolate (and env): the retired setting is an operator's mistake worth a line.
    if (deps.config.adminEmailsIgnored) consoleLogger.warn(ADMIN_EMAILS_IGNORED);
    return { env, app: createApp(deps), deps };
  } catch (error) {
    return { env, error };
  }
}

// Built once per isolate, while the script loads (no I/O happens here, so it is allowed outside
// a request): the first request does not pay for building the routes and the OpenAPI registry.
// A handler given another env object (tests do) gets its own build, kept until the next one.
let built: Built = build(isolateEnv);

function appFor(env: Env): { app: App; deps: GivenDeps } {
  if (built.env !== env) built = build(env);
  if ('error' in built) throw built.error;
  return built;
}

/**
 * Bad vars are an operator's mistake: say so in the log, answer a generic problem. A bare app
 * with the same request id, security headers and problem function as every other answer.
 */
const refusing = new Hono()
  .use(requestId())
  .use(securityHeaders(API_CSP))
  .all('*', (c) => problemResponse(c, 500, 'The server is misconfigured.'));

function misconfigured(err: unknown, request: Request): Response | Promise<Response> {
  consoleLogger.error('refusing requests: configuration is invalid', { error: String(err) });
  return refusing.fetch(request);
}

export default {
  fetch(request, env, ctx) {
    let app: App;
    try {
      app = appFor(env).app;
    } catch (err) {
      return misconfigured(err, request);
    }
    return app.fetch(request, env, ctx);
  },
  // Housekeeping (cron in wrangler.toml): bytes left by an upload whose rows failed, or a delete
  // whose byte removal failed, are removed once nothing points at them; ended login-throttle
  // windows are dropped; account deletions left unfinished are carried on. Awaited, not handed to waitUntil: a failure then marks the cron event
  // as failed in the dashboard and Workers Logs.
  async scheduled(controller, env) {
    const { deps } = appFor(env);
    const [result, pruned, deleted, uploadsExpired] = await Promise.all([
      sweepOrphanBytes(deps),
      pruneLoginThrottle(deps),
      finishAccountDeletions(deps),
      expireUploadSessions(deps),
    ]);
    consoleLogger.info('housekeeping sweep', {
      cron: controller.cron,
      ...result,
      throttle_windows_pruned: pruned,
      account_deletions_finished: deleted,
      upload_sessions_expired: uploadsExpired,
    });
  },
} satisfies ExportedHandler<Env>;
