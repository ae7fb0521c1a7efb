import type { DbSessions } from '../db/d1-session';
import type { ServiceDeps } from '../services/deps';
import type { DocsAssetSource } from './docs-assets';
import type { WebAssetSource } from './web-assets';

/** Everything the app needs from its runtime, built once by the entry point. */
export interface Deps extends ServiceDeps {
  /**
   * Workers only: a D1 session per request for read replication (src/db/d1-session.ts); each
   * request's `db` is then one of these, and `db` above serves work outside requests (the cron).
   */
  dbSessions?: DbSessions;
  /**
   * The client's address as this runtime knows it (src/http/client-address.ts), for per-address
   * login throttling; undefined when it cannot tell, and then only the per-account limit applies.
   * `bindings` is what the runtime passed to `app.fetch` after the request.
   */
  clientAddress(request: Request, bindings: unknown): string | undefined;
  /**
   * Swagger UI's files for the docs page. Node/Bun pass `nodeDocsAssets()`
   * (src/routes/docs/assets-node.ts); Workers leave it out: static assets serve them.
   */
  docsAssets?: DocsAssetSource;
  /**
   * The web app's built files (scripts/web-build.mjs): Node/Bun pass `nodeWebAssets()`, Workers
   * the static-assets binding. Without it `/app` answers 503.
   */
  webAssets?: WebAssetSource;
  /** One JSON access-log line per request (src/http/access-log.ts): on for Node/Bun, off on Workers, whose own logs have it. */
  accessLog?: boolean;
}
