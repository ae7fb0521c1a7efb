import { cors } from 'hono/cors';
import { requestId } from 'hono/request-id';
import { secureHeaders } from 'hono/secure-headers';
import type { Deps } from './deps';
import { crossSiteProtection } from './http/cross-site';
import { notFoundOrMethodNotAllowed, onError } from './http/errors';
import { createRouter } from './http/router';
import { mountDocs } from './routes/docs';
import { legacyImageRouter, v1ImageRouter } from './routes/images';
import { v1LinkRouter } from './routes/links';
import { legacyUserRouter, v1UserRouter } from './routes/users';

/** One runtime-neutral app: the entries for Workers, Node and Bun only build `deps`. */
export function createApp(deps: Deps) {
  const app = createRouter();

  app.use('*', requestId());
  app.use('*', async (c, next) => {
    c.set('deps', deps);
    await next();
  });
  // `overwrite: false`: a route may relax one on purpose (share links allow cross-origin embedding).
  app.use('*', secureHeaders({ crossOriginResourcePolicy: 'same-site', overwrite: false }));
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

  // v1 before legacy: `/api/{img_id}/tags` would otherwise also match `/api/v1/tags`.
  app.route('/api/v1/user', v1UserRouter());
  app.route('/api/v1', v1ImageRouter());
  app.route('/api/v1', v1LinkRouter());
  app.route('/api/user', legacyUserRouter());
  app.route('/api', legacyImageRouter());
  mountDocs(app);

  app.notFound(notFoundOrMethodNotAllowed(app));
  app.onError(onError);
  return app;
}

export type App = ReturnType<typeof createApp>;
