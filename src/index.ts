import { Hono } from 'hono';
import { type App, createApp } from './app';
import { parseConfig } from './config';
import { d1Database } from './db/client';
import { consoleLogger, type Deps } from './deps';
import { cfConnectingIp } from './http/client-address';
import { API_CSP, securityHeaders } from './http/security-headers';
import { sweepOrphanBytes } from './services/images';
import { pruneLoginThrottle } from './services/login-throttle';
import { r2Store } from './storage/r2';

// Built once per isolate: the bindings object does not change between requests.
let cached: { env: Env; app: App; deps: Deps } | undefined;

function appFor(env: Env) {
  if (cached?.env !== env) {
    const deps: Deps = {
      db: d1Database(env.DB),
      store: r2Store(env.IMAGES),
      config: parseConfig(env as unknown as Record<string, unknown>),
      clock: () => new Date(),
      logger: consoleLogger,
      clientAddress: cfConnectingIp,
    };
    cached = { env, app: createApp(deps), deps };
  }
  return cached;
}

/** Bad vars are an operator's mistake: say so in the log, answer a generic problem. */
const misconfiguredBody = JSON.stringify({
  type: 'about:blank',
  title: 'Internal Server Error',
  status: 500,
  detail: 'The server is misconfigured.',
});
// A bare app, so this answer carries the same security headers as every other.
const refusing = new Hono()
  .use(securityHeaders(API_CSP))
  .all('*', (c) => c.body(misconfiguredBody, 500, { 'Content-Type': 'application/problem+json' }));

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
  // whose byte removal failed, are removed once nothing points at them.
  async scheduled(_controller, env, ctx) {
    const { deps } = appFor(env);
    // Also drops login-throttle counters whose window has ended.
    ctx.waitUntil(Promise.all([sweepOrphanBytes(deps), pruneLoginThrottle(deps)]).then(() => undefined));
  },
} satisfies ExportedHandler<Env>;
