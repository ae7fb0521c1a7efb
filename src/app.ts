import { cors } from 'hono/cors';
import { requestId } from 'hono/request-id';
import { secureHeaders } from 'hono/secure-headers';
import type { Deps } from './deps';
import { crossSiteProtection } from './http/cross-site';
import { notFoundOrMethodNotAllowed, onError } from './http/errors';
import { createRouter } from './http/router';
import { recordUsage } from './http/usage-middleware';
import { v1AdminRouter } from './routes/admin';
import { mountDocs } from './routes/docs';
import { legacyImageRouter, v1ImageRouter } from './routes/images';
import { v1KeyRouter } from './routes/keys';
import { v1UsageRouter } from './routes/usage';
import { legacyUserRouter, v1UserRouter } from './routes/users';
import { UsageRecorder } from './services/usage-recorder';

/** One runtime-neutral app: the entries for Workers, Node and Bun only build `deps`. */
export function createApp(given: Deps) {
  const app = createRouter();
  const deps: Deps = {
    ...given,
    usage: given.usage ?? new UsageRecorder({ flushAfterMs: given.config.usageFlushMs, logger: given.logger }),
  };
  const usage = deps.usage as UsageRecorder;

  app.use('*', requestId());
  app.use('*', async (c, next) => {
    c.set('deps', deps);
    await next();
  });
  app.use('*', secureHeaders({ crossOriginResourcePolicy: 'same-site' }));
  app.use(
    '/api/*',
    cors({
      origin: (origin) => (deps.config.corsOrigins.includes(origin) ? origin : null),
      credentials: true,
      allowHeaders: ['Content-Type', 'Authorization', 'If-None-Match', 'Range'],
      exposeHeaders: ['ETag', 'Location', 'Content-Range', 'Content-Disposition', 'X-Request-Id'],
      maxAge: 600,
    }),
  );
  app.use('/api/*', crossSiteProtection(deps.config.corsOrigins));
  app.use('/api/*', recordUsage(app, usage));

  // v1 before legacy: `/api/{img_id}/tags` would otherwise also match `/api/v1/tags`.
  app.route('/api/v1/user/keys', v1KeyRouter());
  app.route('/api/v1/user/usage', v1UsageRouter());
  app.route('/api/v1/user', v1UserRouter());
  app.route('/api/v1/admin', v1AdminRouter());
  app.route('/api/v1', v1ImageRouter());
  app.route('/api/user', legacyUserRouter());
  app.route('/api', legacyImageRouter());
  mountDocs(app);

  app.notFound(notFoundOrMethodNotAllowed(app));
  app.onError(onError);
  return app;
}

export type App = ReturnType<typeof createApp>;
