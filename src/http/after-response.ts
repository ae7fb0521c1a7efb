import type { Context } from 'hono';
import type { AppEnv } from './app-env';

/** workerd says so in its user agent (Node 20 has no `navigator`; Bun's names Bun). */
const ON_WORKERS = (globalThis as { navigator?: { userAgent?: string } }).navigator?.userAgent === 'Cloudflare-Workers';

/** The Workers execution context when there is one (Node, Bun and `app.request` have none). */
export function waitUntilOf(c: Context<AppEnv>): ((promise: Promise<unknown>) => void) | undefined {
  // Node and Bun never have one; asking Hono would throw (and build a stack) on every request.
  if (!ON_WORKERS) return undefined;
  let ctx: { waitUntil(promise: Promise<unknown>): void } | undefined;
  try {
    ctx = c.executionCtx;
  } catch {
    // Hono's getter throws when the runtime passed no execution context.
    return undefined;
  }
  return (promise) => ctx?.waitUntil(promise);
}

/**
 * Work that must not delay the response: on Workers it runs under `waitUntil` (the isolate
 * stays up until it ends); elsewhere it simply runs on, detached. Failures are logged.
 */
export function afterResponse(c: Context<AppEnv>, task: () => Promise<unknown>): void {
  const logger = c.get('deps').logger;
  const run = Promise.resolve()
    .then(task)
    .catch((err: unknown) => logger.warn('background work failed', { error: String(err) }));
  waitUntilOf(c)?.(run);
}
