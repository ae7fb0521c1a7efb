import { createRoute, type RouteConfig } from '@hono/zod-openapi';

/**
 * The legacy paths of the service this one replaces. Each legacy route is its v1 route with
 * the differences stated by the caller (path, parameter names, response shapes and statuses);
 * what a legacy route says about itself (deprecated, its v1 replacement, the `legacy…`
 * operationId, its tag) is written here only, for users and images alike.
 */

/** Where a resource's v1 routes are mounted, and the tag its legacy routes are listed under. */
export interface LegacySurface {
  v1Base: string;
  tag: string;
}

/** What a legacy route changes; everything not named is its v1 route's. */
export interface LegacyChanges {
  path: string;
  summary?: string;
  /** Said after the deprecation notice (the v1 route's own description is not repeated). */
  note?: string;
  middleware?: RouteConfig['middleware'];
  /** Merged over the v1 route's request (e.g. `params` named as the original service named them). */
  request?: RouteConfig['request'];
  /** Added, or replacing the v1 response with the same status. */
  responses?: RouteConfig['responses'];
  /** v1 statuses the legacy route never answers (e.g. 204 where legacy answers 200 with a body). */
  without?: readonly number[];
}

/** `C[K]` when the changes name `K`, else `Else`. */
type Changed<C, K extends string, Else> = K extends keyof C ? Exclude<C[K], undefined> : Else;

/** The route `legacyOf(v1, changes)` builds, as TypeScript sees it (handlers are typed by it). */
export type LegacyRoute<R extends RouteConfig, C extends LegacyChanges> = Omit<
  R,
  'path' | 'summary' | 'description' | 'middleware' | 'request' | 'responses'
> & {
  path: C['path'];
  summary: Changed<C, 'summary', R['summary']>;
  deprecated: true;
  description: string;
  middleware: Changed<C, 'middleware', R['middleware']>;
  responses: Omit<
    R['responses'],
    Changed<C, 'without', readonly never[]>[number] | keyof Changed<C, 'responses', object>
  > &
    Changed<C, 'responses', object>;
} & ([Changed<C, 'request', never>] extends [never]
    ? Pick<R, Extract<'request', keyof R>>
    : {
        request: Omit<NonNullable<R['request']>, keyof Changed<C, 'request', object>> & Changed<C, 'request', object>;
      });

const capitalised = (name: string) => `${name[0]?.toUpperCase()}${name.slice(1)}`;

/** A function deriving `surface`'s legacy routes from their v1 routes. */
export function legacyRoutes(surface: LegacySurface) {
  return function legacyOf<R extends RouteConfig, const C extends LegacyChanges>(v1: R, changes: C) {
    const { method, path: v1Path, operationId, tags, summary, description, request, responses, ...v1Rest } = v1;
    const { path, note, without = [], ...rest } = changes;
    const replacement = `${method.toUpperCase()} ${surface.v1Base}${v1Path === '/' ? '' : v1Path}`;
    const notice = `Legacy path kept for existing clients; use \`${replacement}\`.`;
    const kept = Object.entries(responses).filter(([status]) => !without.includes(Number(status)));
    // A part set to undefined (e.g. `query`) is one the legacy route does not take.
    const mergedRequest = changes.request
      ? Object.fromEntries(Object.entries({ ...request, ...changes.request }).filter(([, part]) => part !== undefined))
      : request;
    // Key order is the order of the document's operation fields: deprecation beside the summary.
    const route = {
      method,
      path,
      operationId: `legacy${capitalised(operationId ?? '')}`,
      tags: [surface.tag],
      summary: changes.summary ?? summary,
      deprecated: true,
      description: note ? `${notice} ${note}` : notice,
      ...v1Rest,
      ...rest,
      ...(mergedRequest ? { request: mergedRequest } : {}),
      responses: { ...Object.fromEntries(kept), ...changes.responses },
    };
    // TypeScript cannot follow the spreads and the filter over a generic route; LegacyRoute says
    // what they build.
    return createRoute(route) as unknown as LegacyRoute<R, C>;
  };
}
