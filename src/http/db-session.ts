import type { MiddlewareHandler } from 'hono';
import { BOOKMARK_HEADER, type DbSessions, parseBookmark, sessionStart } from '../db/d1-session';
import { guardedDb } from '../db/guarded';
import type { AppEnv } from './app-env';
import type { Deps } from './deps';
import { ProblemError } from './problem';

/**
 * One database session per request (Workers with D1 read replication): the request's deps get a
 * db over it, and the response carries the session's bookmark for the client to send back.
 * A malformed bookmark is refused with 400 rather than dropped: dropping it would silently cost
 * the client its read-your-writes guarantee on the next read that starts on a replica.
 */
export function dbSessionPerRequest(deps: Deps, sessions: DbSessions): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const bookmark = parseBookmark(c.req.header(BOOKMARK_HEADER));
    if (bookmark === null) {
      throw new ProblemError(400, `The ${BOOKMARK_HEADER} header is not a bookmark this API returned.`);
    }
    const session = sessions(sessionStart(c.req.method, c.req.path, bookmark));
    c.set('deps', { ...deps, db: guardedDb(session.db, deps.config.dbTimeoutMs) });
    await next();
    const latest = session.bookmark();
    // On the response itself, as corsAllowlist does: `c.header` after the handler rebuilds it.
    if (latest) c.res.headers.set(BOOKMARK_HEADER, latest);
  };
}
