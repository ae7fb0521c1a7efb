import { cors } from 'hono/cors';
import { requestId } from 'hono/request-id';
import { secureHeaders } from 'hono/secure-headers';
import type { Deps } from './deps';
import { limitBody } from './http/body';
import { crossSiteProtection } from './http/cross-site';
import { notFoundOrMethodNotAllowed, onError } from './http/errors';
import { createRouter } from './http/router';
import { mountDocs } from './routes/docs';
import { legacyUserRouter, v1UserRouter } from './routes/users';

/** Small JSON/form bodies (credentials, tag lists) never need more than this. */
export const SMALL_BODY_BYTES = 64 * 1024;

/** One runtime-neutral app: the entries for Workers, Node and Bun only build `deps`. */
export function createApp(deps: Deps) {
  const app = createRouter();

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
  app.use('/api/user/*', limitBody(SMALL_BODY_BYTES));
  app.use('/api/v1/user/*', limitBody(SMALL_BODY_BYTES));

  app.route('/api/user', legacyUserRouter());
  app.route('/api/v1/user', v1UserRouter());
  mountDocs(app);

  app.notFound(notFoundOrMethodNotAllowed(app));
  app.onError(onError);
  return app;
}

export type App = ReturnType<typeof createApp>;
