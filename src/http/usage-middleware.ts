import type { OpenAPIHono } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import type { Session } from '../lib/session';
import { QuotaExceeded } from '../services/errors';
import { verifySession } from '../services/session';
import { utcDate } from '../services/usage';
import type { UsageRecorder } from '../services/usage-recorder';
import { waitUntilOf } from './after-response';
import type { AppEnv } from './app-env';

/**
 * Counts each authenticated request for its user and UTC day, by operationId, with the bytes
 * it moved: an image's size for an upload, the bytes sent for an image download (a range
 * counts its length), and uploads refused by a quota. The count goes to memory; the database
 * write happens after the response (Workers: `waitUntil`; Node/Bun: a timer or the request
 * count), see UsageRecorder. Requests that did not authenticate (401) are nobody's, and a request
 * counts for a user only once its credentials were proven against the database.
 */
export function recordUsage(app: OpenAPIHono<AppEnv>, usage: UsageRecorder): MiddlewareHandler<AppEnv> {
  // The route table is complete once the app is built: read it at the first request.
  let operations: Map<string, string> | undefined;
  const operationOf = (route: { method: string; path: string } | undefined) => {
    operations ??= new Map(
      app.openAPIRegistry.definitions.flatMap((d) =>
        d.type === 'route' && d.route.operationId
          ? [[`${d.route.method.toUpperCase()} ${d.route.path.replace(/\{([^}]+)\}/g, ':$1')}`, d.route.operationId]]
          : [],
      ),
    );
    return route ? operations.get(`${route.method} ${route.path}`) : undefined;
  };

  return async (c, next) => {
    await next();
    const session = c.get('session') as Session | undefined;
    if (!session || c.res.status === 401) return;
    const deps = c.get('deps');
    const status = c.res.status;
    const length = Number(c.res.headers.get('content-length') ?? Number.NaN);
    const download =
      c.req.method === 'GET' &&
      (status === 200 || status === 206) &&
      (c.res.headers.get('content-type') ?? '').startsWith('image/') &&
      Number.isSafeInteger(length);
    const count = {
      userId: session.userId,
      day: utcDate(deps.clock().getTime()),
      // The route that answered (or threw): several can match one path (`/api/v1/tags` also
      // fits the legacy `/api/{img_id}/tags`), and only the first to answer ran.
      operation: operationOf(matchedRoutes(c)[c.req.routeIndex]),
      bytesUploaded: c.get('uploadedBytes') ?? 0,
      bytesDownloaded: download ? length : 0,
      uploadsRefused: c.error instanceof QuotaExceeded ? 1 : 0,
    };
    const keepAlive = waitUntilOf(c);
    const commit = () => {
      usage.record(count);
      if (keepAlive) return settle(deps);
      usage.nudge(deps.db);
    };
    if (session.verified) {
      const written = commit();
      if (written && keepAlive) keepAlive(written);
      return;
    }
    // Refused before any service read the database (a bad query, a wrong media type, a read-only
    // key): the credentials are only a claim, and a forged key must not count against the user it
    // names. Proven after the response, off its path.
    const later = verifySession(deps, session)
      .then(
        () => true,
        () => session.verified === true,
      )
      .then((ok) => (ok ? commit() : undefined))
      .catch((err: unknown) => deps.logger.warn('could not count a request', { error: String(err) }));
    if (keepAlive) keepAlive(later);
  };

  function settle(deps: AppEnv['Variables']['deps']): Promise<void> {
    return usage
      .settle(deps.db)
      .catch((err: unknown) =>
        deps.logger.warn('could not write usage counts; kept for the next try', { error: String(err) }),
      );
  }
}
