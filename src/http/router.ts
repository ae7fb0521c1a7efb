import { OpenAPIHono, type RouteConfig, type RouteHandler } from '@hono/zod-openapi';
import type { FieldIssue } from '../services/errors';
import type { AppEnv } from './app-env';
import { assertReadsItsBody } from './body';
import { problemResponse } from './problem';

const LOCATION: Record<string, FieldIssue['in']> = {
  json: 'body',
  form: 'body',
  query: 'query',
  param: 'path',
  header: 'header',
  cookie: 'cookie',
};

/** A router whose validation failures all become one problem shape naming the fields. */
export function createRouter() {
  const router = new OpenAPIHono<AppEnv>({
    defaultHook: (result, c) => {
      if (result.success) return;
      const where = LOCATION[result.target] ?? 'body';
      const errors: FieldIssue[] = result.error.issues.map((issue) => ({
        name: issue.path.length ? issue.path.join('.') : where,
        in: where,
        message: issue.message,
      }));
      const names = [...new Set(errors.map((e) => e.name))].join(', ');
      return problemResponse(c, 400, `Invalid ${where === 'path' ? 'path parameter' : where}: ${names}`, { errors });
    },
  });
  // Every route passes here as it is registered: none may take a body its middleware does not meter.
  const register = router.openapi.bind(router);
  router.openapi = ((route: RouteConfig, ...rest: unknown[]) => {
    assertReadsItsBody(route);
    return (register as (...args: unknown[]) => unknown)(route, ...rest);
  }) as typeof router.openapi;
  return router;
}

export type Router = ReturnType<typeof createRouter>;

/**
 * A handler typed by its route, as w3cj/hono-open-api-starter types its handlers: the route's
 * validated input and its documented answers. A handler shared by a v1 and a legacy route is
 * checked against each as this type (`.openapi` alone would take the input type from the
 * handler, so a wrong parameter name would pass).
 */
export type AppRouteHandler<R extends RouteConfig> = RouteHandler<R, AppEnv>;
