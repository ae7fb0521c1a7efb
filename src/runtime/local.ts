/**
 * Everything the Node and Bun entries share: settings, the libsql database, the directory
 * store, listening (on both loopbacks for `localhost`) and graceful shutdown. The entries only
 * say how their runtime listens.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createApp } from '../app';
import { openLibsql } from '../db/libsql';
import { type LocalBindings, localClientAddress } from '../http/client-address';
import type { Deps } from '../http/deps';
import type { Logger } from '../lib/logger';
import { MULTIPART_OVERHEAD_BYTES } from '../limits';
import { nodeDocsAssets } from '../routes/docs/assets-node';
import { nodeWebAssets } from '../routes/web/assets-node';
import { finishAccountDeletions } from '../services/account-lifecycle';
import { ADMIN_EMAILS_IGNORED } from '../services/admin';
import { sweepOrphanBytes } from '../services/housekeeping';
import { pruneLoginThrottle } from '../services/login-throttle';
import { expireUploadSessions } from '../services/upload-sessions';
import { UsageRecorder } from '../services/usage-recorder';
import { fsStore } from '../storage/fs/fs-store';
import { s3Store } from '../storage/s3';
import { sharpTransformer } from '../transform/sharp';
import { stdoutLogger } from './batched-logger';
import { type EnvVars, type LocalSettings, loadSettings, SettingsError } from './settings';

export type Runtime = 'node' | 'bun';
/** `client` is what the runtime knows of the connection: its peer address. */
export type FetchHandler = (request: Request, client: ClientInfo) => Response | Promise<Response>;

export interface ClientInfo {
  /** The connection's peer address, as the runtime reports it. */
  address: string | undefined;
}

export interface Listener {
  /** The address and port actually bound (the port matters when 0 was asked for). */
  address: string;
  port: number;
  /** Stops accepting connections; resolves once the requests in flight have been answered. */
  close(): Promise<void>;
  /** Drops every connection still open. */
  forceClose(): void;
}

export interface ListenOptions {
  hostname: string;
  port: number;
  /** The largest request body the app may accept; a runtime with its own cap must allow it. */
  maxRequestBodyBytes: number;
  /** How long a connection may stay silent mid-request (the app's body idle timeout). */
  idleMs: number;
}

export type Listen = (fetch: FetchHandler, options: ListenOptions) => Promise<Listener>;

export interface LocalServer {
  runtime: Runtime;
  settings: LocalSettings;
  deps: Deps;
  /** The port every address listens on. */
  port: number;
  /** One URL per bound address, e.g. `http://127.0.0.1:8000`. */
  urls: string[];
  /** Stops accepting, waits up to `graceMs` for requests in flight, then closes the database. */
  shutdown(reason?: string, graceMs?: number): Promise<void>;
}

export interface StartOptions {
  runtime: Runtime;
  listen: Listen;
  env?: EnvVars;
  logger?: Logger;
}

export const SHUTDOWN_GRACE_MS = 10_000;
/** Temp files older than this are left over from a crash, not an upload in progress. */
const STALE_TEMP_MS = 60 * 60 * 1000;
/** Housekeeping: as the Workers cron does (hourly, a bounded slice each time), plus once soon after start. */
const SWEEP_EVERY_MS = 60 * 60 * 1000;
const FIRST_SWEEP_AFTER_MS = 60 * 1000;
/** The runtime's own body cap sits above the app's upload limit, so the app's 413 problem is what clients see. */
const RUNTIME_BODY_MARGIN_BYTES = 1024 * 1024;

/** `localhost` means both loopbacks, as under `wrangler dev`: clients may resolve it to either. */
const addressesFor = (host: string) => (host === 'localhost' ? ['127.0.0.1', '::1'] : [host]);
const urlFor = (address: string, port: number) => `http://${address.includes(':') ? `[${address}]` : address}:${port}`;
const errnoOf = (err: unknown) => (err as { code?: unknown } | undefined)?.code;
/** IPv6 switched off on this host: serving `localhost` on 127.0.0.1 alone is still right. */
const IPV6_UNAVAILABLE = new Set(['EADDRNOTAVAIL', 'EAFNOSUPPORT']);

/** Whether `promise` settled before `deadline` (epoch ms). */
async function settlesWithin(promise: Promise<unknown>, deadline: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), Math.max(0, deadline - Date.now()));
  });
  const settled = promise.then(
    () => true,
    () => true,
  );
  const result = await Promise.race([settled, late]);
  clearTimeout(timer);
  return result;
}

export async function startLocal({ runtime, listen, env = process.env, logger = stdoutLogger() }: StartOptions) {
  const settings = loadSettings(env);
  for (const warning of settings.warnings) logger.warn(warning);
  if (settings.config.adminEmailsIgnored) logger.warn(ADMIN_EMAILS_IGNORED);

  const database = await openLibsql({
    url: settings.databaseUrl,
    authToken: settings.databaseAuthToken,
    primaryUrl: settings.databasePrimaryUrl,
  });
  const listeners: Listener[] = [];
  try {
    // With S3_BUCKET the bytes live in the bucket and nothing is written under IMAGES_DIR.
    const store = settings.s3 ? s3Store(settings.s3) : fsStore(settings.imagesDir);
    if ('root' in store) {
      await mkdir(store.root, { recursive: true });
      store.removeStaleTempFiles(STALE_TEMP_MS).then(
        (n) => n > 0 && logger.info('removed temp files left by an interrupted upload', { count: n }),
        (err) => logger.warn('could not sweep temp files', { error: String(err) }),
      );
    }

    const usage = new UsageRecorder({ flushAfterMs: settings.config.usageFlushMs, logger });
    const deps: Deps = {
      db: database.db,
      store,
      transformer: sharpTransformer(),
      config: settings.config,
      clock: () => new Date(),
      logger,
      docsAssets: nodeDocsAssets(),
      webAssets: nodeWebAssets(),
      clientAddress: localClientAddress(settings.trustProxy),
      accessLog: true,
      usage,
    };
    const app = createApp(deps);
    const fetch: FetchHandler = (request, client) =>
      app.fetch(request, { clientAddress: client.address } satisfies LocalBindings);

    let port = settings.port;
    for (const [i, hostname] of addressesFor(settings.host).entries()) {
      try {
        const listener = await listen(fetch, {
          hostname,
          port,
          maxRequestBodyBytes: settings.config.maxUploadBytes + MULTIPART_OVERHEAD_BYTES + RUNTIME_BODY_MARGIN_BYTES,
          idleMs: settings.config.bodyIdleMs,
        });
        listeners.push(listener);
        port = listener.port; // the second loopback takes the port the first one got
      } catch (err) {
        if (i === 0 || !IPV6_UNAVAILABLE.has(String(errnoOf(err)))) throw err;
        logger.warn(`not listening on ${hostname}`, { error: String(err) });
      }
    }

    const urls = listeners.map((l) => urlFor(l.address, l.port));
    logger.info('listening', {
      runtime,
      urls,
      port,
      database: database.file ?? (settings.databaseUrl.startsWith('file:') ? 'in-memory' : 'remote libsql'),
      ...('root' in store ? { images_dir: store.root } : { images_bucket: store.bucket }),
    });

    // Bytes whose rows never got written (or whose delete failed half-way) are swept as on Workers,
    // login-throttle counters whose window has ended are dropped, and account deletions left
    // unfinished are carried on.
    let sweeping: Promise<unknown> | undefined;
    const sweep = () => {
      if (sweeping) return; // the previous run is still going
      sweeping = Promise.all([
        sweepOrphanBytes(deps),
        pruneLoginThrottle(deps),
        finishAccountDeletions(deps),
        expireUploadSessions(deps),
      ])
        .catch((err: unknown) => logger.error('housekeeping sweep failed', { error: String(err) }))
        .finally(() => {
          sweeping = undefined;
        });
    };
    const firstSweep = setTimeout(sweep, FIRST_SWEEP_AFTER_MS);
    const sweeps = setInterval(sweep, SWEEP_EVERY_MS);
    firstSweep.unref?.();
    sweeps.unref?.();

    // Usage counts wait in memory at most USAGE_FLUSH_SECONDS (with 0, each request writes them).
    const writeUsage = () =>
      usage
        .flush(database.db)
        .catch((err: unknown) =>
          logger.warn('could not write usage counts; kept for the next try', { error: String(err) }),
        );
    const usageWrites =
      settings.config.usageFlushMs > 0 ? setInterval(writeUsage, settings.config.usageFlushMs) : undefined;
    usageWrites?.unref?.();

    let stopping: Promise<void> | undefined;
    const shutdown = (reason = 'shutdown', graceMs = SHUTDOWN_GRACE_MS) => {
      stopping ??= (async () => {
        logger.info('shutting down', { reason, grace_ms: graceMs });
        clearTimeout(firstSweep);
        clearInterval(sweeps);
        // One deadline for everything: requests in flight, then a housekeeping sweep under way.
        const deadline = Date.now() + graceMs;
        const drained = await settlesWithin(Promise.all(listeners.map((l) => l.close())), deadline);
        if (!drained) {
          logger.warn('requests still in flight after the grace period; closing their connections');
          for (const l of listeners) l.forceClose();
        }
        if (sweeping) await settlesWithin(sweeping, deadline);
        // The last requests' counts: written once nothing can add more.
        clearInterval(usageWrites);
        if (!(await settlesWithin(writeUsage(), deadline)) || !usage.empty) {
          logger.error('usage counts not written before stopping: they are lost');
        }
        database.close();
        logger.info('stopped', { reason });
      })();
      return stopping;
    };

    return { runtime, settings, deps, port, urls, shutdown } satisfies LocalServer;
  } catch (err) {
    for (const l of listeners) l.forceClose();
    database.close();
    throw err;
  }
}

/**
 * The process around `startLocal`: reads `.env` (Bun already has), refuses to start with a
 * clear message on bad settings, and shuts down gracefully on SIGTERM/SIGINT.
 */
export async function main(runtime: Runtime, listen: Listen, logger: Logger = stdoutLogger()): Promise<void> {
  // Bun loads .env itself; Node has the same behaviour through loadEnvFile (it never overrides
  // variables already set).
  if (runtime === 'node' && existsSync('.env')) process.loadEnvFile('.env');

  let server: LocalServer;
  try {
    server = await startLocal({ runtime, listen, logger });
  } catch (err) {
    if (err instanceof SettingsError) logger.error(`refusing to start: ${err.message}`);
    else logger.error('could not start', { error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });
    process.exit(1);
  }

  let signals = 0;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (++signals > 1) {
        logger.warn(`${signal} again: exiting without waiting`);
        process.exit(1);
      }
      server.shutdown(signal).then(
        () => process.exit(0),
        (err: unknown) => {
          logger.error('shutdown failed', { error: String(err) });
          process.exit(1);
        },
      );
    });
  }
}
