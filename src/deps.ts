import type { Config } from './config';
import type { Db } from './db/client';
import type { DbSessions } from './db/d1-session';
import type { DocsAssetSource } from './routes/docs/assets';
import type { UsageRecorder } from './services/usage-recorder';
import type { ImageStore } from './storage/image-store';
import type { ImageTransformer } from './transform/transformer';

export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** Everything the app needs from its runtime, built once by the entry point. */
export interface Deps {
  db: Db;
  /**
   * Workers only: a D1 session per request for read replication (src/db/d1-session.ts); each
   * request's `db` is then one of these, and `db` above serves work outside requests (the cron).
   */
  dbSessions?: DbSessions;
  store: ImageStore;
  /** Makes variants: the Images binding on Workers, sharp on Node and Bun. */
  transformer: ImageTransformer;
  config: Config;
  clock: () => Date;
  logger: Logger;
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
  /** One JSON access-log line per request (src/http/access-log.ts): on for Node/Bun, off on Workers, whose own logs have it. */
  accessLog?: boolean;
  /**
   * Per-day usage counts waiting to be written. Node/Bun pass theirs to flush it on a timer and
   * at shutdown; otherwise `createApp` makes one.
   */
  usage?: UsageRecorder;
}

/** One JSON line per event: what Workers logs, journald and docker logs all read well. */
export const logLine = (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) =>
  JSON.stringify({ level, message, ...fields });

export const consoleLogger: Logger = {
  info: (message, fields) => console.log(logLine('info', message, fields)),
  warn: (message, fields) => console.warn(logLine('warn', message, fields)),
  error: (message, fields) => console.error(logLine('error', message, fields)),
};
