import { requestId } from 'hono/request-id';
import { guardedDb } from './db/guarded';
import { accessLog } from './http/access-log';
import { corsAllowlist } from './http/cors';
import { crossSiteProtection } from './http/cross-site';
import { dbSessionPerRequest } from './http/db-session';
import type { Deps } from './http/deps';
import { methodNotAllowedProblem, notFound, onError } from './http/errors';
import { createRouter } from './http/router';
import { API_CSP, securityHeaders } from './http/security-headers';
import { recordUsage } from './http/usage-middleware';
import { v1AdminRouter } from './routes/admin';
import { mountDocs, mountIndex } from './routes/docs';
import { healthRouter } from './routes/health';
import { legacyImageRouter, v1ImageRouter } from './routes/images';
import { v1KeyRouter } from './routes/keys';
import { v1LinkRouter } from './routes/links';
import { v1UploadRouter } from './routes/uploads';
import { v1UsageRouter } from './routes/usage';
import { legacyUserRouter, v1UserRouter } from './routes/users';
import { mountWebApp } from './routes/web';
import { UsageRecorder } from './services/usage-recorder';
import { guardedStore } from './storage/guarded';

/** What an entry passes; without `usage`, the app makes its own recorder. */
export type GivenDeps = Omit<Deps, 'usage'> & Partial<Pick<Deps, 'usage'>>;

/** One runtime-neutral app: the entries for Workers, Node and Bun only build `deps`. */
export function createApp(given: GivenDeps) {
  const app = createRouter();
  // Slow or failing dependencies answer 503 with Retry-After rather than hang or 500.
  const deps: Deps = {
    ...given,
    db: guardedDb(given.db, given.config.dbTimeoutMs),
    store: guardedStore(() => given.store, given.config.storeTimeoutMs),
    usage: given.usage ?? new UsageRecorder({ flushAfterMs: given.config.usageFlushMs, logger: given.logger }),
  };

  app.use('*', requestId());
  if (deps.accessLog) app.use('*', accessLog(deps.logger));
  app.use('*', async (c, next) => {
    c.set('deps', deps);
    await next();
  });
  // Every response; the docs pages set their own Content-Security-Policy, which this keeps.
  app.use('*', securityHeaders(API_CSP, { keep: true }));
  app.use('/api/*', corsAllowlist(deps.config.corsOrigins));
  app.use('/api/*', crossSiteProtection(deps.config.corsOrigins));
  // After CORS, so a refused bookmark's 400 still reaches a browser client.
  if (given.dbSessions) app.use('*', dbSessionPerRequest(deps, given.dbSessions));
  app.use('/api/*', recordUsage(app, deps.usage));
  // Innermost, so its 405 passes out through the headers and the usage count as a 404 did.
  app.use('*', methodNotAllowedProblem(app));

  // v1 before legacy: `/api/{img_id}/tags` would otherwise also match `/api/v1/tags`.
  app.route('/api/v1/user/keys', v1KeyRouter());
  app.route('/api/v1/user/usage', v1UsageRouter());
  app.route('/api/v1/user', v1UserRouter());
  app.route('/api/v1/admin', v1AdminRouter());
  app.route('/api/v1/uploads', v1UploadRouter());
  app.route('/api/v1', v1ImageRouter());
  app.route('/api/v1', v1LinkRouter());
  app.route('/api/user', legacyUserRouter());
  app.route('/api', legacyImageRouter());
  app.route('/', healthRouter());
  mountDocs(app);
  mountWebApp(app);
  mountIndex(app);

  app.notFound(notFound);
  app.onError(onError);
  return app;
}

export type App = ReturnType<typeof createApp>;
