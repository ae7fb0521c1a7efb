import { type App, createApp } from './app';
import { parseConfig } from './config';
import { d1Database } from './db/client';
import { consoleLogger, type Deps } from './deps';
import { sweepOrphanBytes } from './services/images';
import { r2Store } from './storage/r2';
import { imagesBindingTransformer } from './transform/images-binding';

// Built once per isolate: the bindings object does not change between requests.
let cached: { env: Env; app: App; deps: Deps } | undefined;

function appFor(env: Env) {
  if (cached?.env !== env) {
    const deps: Deps = {
      db: d1Database(env.DB),
      store: r2Store(env.IMAGES),
      transformer: imagesBindingTransformer(env.IMAGES_TRANSFORM),
      config: parseConfig(env as unknown as Record<string, unknown>),
      clock: () => new Date(),
      logger: consoleLogger,
    };
    cached = { env, app: createApp(deps), deps };
  }
  return cached;
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
  // whose byte removal failed, are removed once nothing points at them.
  async scheduled(_controller, env, ctx) {
    ctx.waitUntil(sweepOrphanBytes(appFor(env).deps).then(() => undefined));
  },
} satisfies ExportedHandler<Env>;
