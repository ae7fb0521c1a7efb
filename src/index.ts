import { env as isolateEnv } from 'cloudflare:workers';
import { type App, createApp } from './app';
import { parseConfig } from './config';
import { d1Database } from './db/client';
import { consoleLogger, type Deps } from './deps';
import { sweepOrphanBytes } from './services/housekeeping';
import { r2Store } from './storage/r2';

type Built = { env: Env; app: App; deps: Deps } | { env: Env; error: unknown };

function build(env: Env): Built {
  try {
    const deps: Deps = {
      db: d1Database(env.DB),
      store: r2Store(env.IMAGES),
      config: parseConfig(env as unknown as Record<string, unknown>),
      clock: () => new Date(),
      logger: consoleLogger,
    };
    return { env, app: createApp(deps), deps };
  } catch (error) {
    return { env, error };
  }
}

// Built once per isolate, while the script loads (no I/O happens here, so it is allowed outside
// a request): the first request does not pay for building the routes and the OpenAPI registry.
// A handler given another env object (tests do) gets its own build, kept until the next one.
let built: Built = build(isolateEnv);

function appFor(env: Env): { app: App; deps: Deps } {
  if (built.env !== env) built = build(env);
  if ('error' in built) throw built.error;
  return built;
}

/** Bad vars are an operator's mistake: say so in the log, answer a generic problem. */
function misconfigured(err: unknown): Response {
  consoleLogger.error('refusing requests: configuration is invalid', { error: String(err) });
  const body = {
    type: 'about:blank',
    title: 'Internal Server Error',
    status: 500,
    detail: 'The server is misconfigured.',
  };
  return new Response(JSON.stringify(body), { status: 500, headers: { 'Content-Type': 'application/problem+json' } });
}

export default {
  fetch(request, env, ctx) {
    let app: App;
    try {
      app = appFor(env).app;
    } catch (err) {
      return misconfigured(err);
    }
    return app.fetch(request, env, ctx);
  },
  // Housekeeping (cron in wrangler.toml): bytes left by an upload whose rows failed, or a delete
  // whose byte removal failed, are removed once nothing points at them. Awaited, not handed to
  // waitUntil: a failure then marks the cron event as failed in the dashboard and Workers Logs.
  async scheduled(controller, env) {
    const result = await sweepOrphanBytes(appFor(env).deps);
    consoleLogger.info('housekeeping sweep', { cron: controller.cron, ...result });
  },
} satisfies ExportedHandler<Env>;
