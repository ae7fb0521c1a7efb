import type { MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import type { Logger } from '../deps';
import type { AppEnv } from './app-env';

/** What one access-log line holds. Never the raw path's query, headers, cookies or bodies. */
export interface AccessLogEntry {
  method: string;
  /** The matched route pattern (`/api/v1/images/:id`), null when no route matched (404). */
  route: string | null;
  status: number;
  /** From the request reaching the app to its response being ready (a body may still stream). */
  duration_ms: number;
  /** Body bytes of the response: its Content-Length, 0 for HEAD and empty bodies. */
  bytes: number;
  request_id: string | undefined;
}

/**
 * The pattern of the route that answered, with Hono's `{regex}` parameter constraints dropped.
 * Middleware registered for every method is not a route; the last method-specific match is.
 */
function routePattern(c: Parameters<MiddlewareHandler<AppEnv>>[0]): string | null {
  const route = matchedRoutes(c)
    .filter((r) => r.method !== 'ALL')
    .at(-1);
  return route ? route.path.replace(/(:[A-Za-z0-9_]+)\{[^}]*\}/g, '$1') : null;
}

async function bodyBytes(method: string, res: Response): Promise<number> {
  if (method === 'HEAD' || !res.body) return 0;
  const length = res.headers.get('content-length');
  if (length !== null && /^\d+$/.test(length)) return Number(length);
  // Only bodies the app built in memory get here (JSON, problems, the docs page): image bytes
  // and docs assets carry their length. Measured on a copy, so the response is sent untouched.
  return (await res.clone().arrayBuffer()).byteLength;
}

/**
 * One JSON line per request (`"message":"request"`), for the Node and Bun servers; Workers Logs
 * record every invocation already. Deliberately no URL, query, header or body: tokens and
 * passwords travel in those, and the route pattern with the status says what happened.
 */
export function accessLog(logger: Logger): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = performance.now();
    await next();
    const entry: AccessLogEntry = {
      method: c.req.method,
      route: routePattern(c),
      status: c.res.status,
      duration_ms: Math.round((performance.now() - started) * 10) / 10,
      bytes: await bodyBytes(c.req.method, c.res),
      request_id: c.get('requestId'),
    };
    logger.info('request', { ...entry });
  };
}
