import type { Context, MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import type { Logger } from '../lib/logger';
import type { AppEnv } from './app-env';

/** What one access-log line holds. Never the raw path's query, headers, cookies or bodies. */
export interface AccessLogEntry {
  method: string;
  /** The matched route pattern (`/api/v1/images/:id`), null when no route matched (404). */
  route: string | null;
  status: number;
  /** From the request reaching the app to its response being ready (a body may still stream). */
  duration_ms: number;
  /**
   * Body bytes of the response: its Content-Length or the size of the string it was built from,
   * 0 for HEAD and empty bodies; a streamed body of unknown length is counted as it is sent, and
   * its line is written when it ends (or the client goes away).
   */
  bytes: number;
  request_id: string | undefined;
}

/**
 * The pattern of the route that answered, with Hono's `{regex}` parameter constraints dropped.
 * Middleware registered for every method is not a route; the last method-specific match is.
 */
function routePattern(c: Context<AppEnv>): string | null {
  const route = matchedRoutes(c)
    .filter((r) => r.method !== 'ALL')
    .at(-1);
  return route ? route.path.replace(/(:[A-Za-z0-9_]+)\{[^}]*\}/g, '$1') : null;
}

/** A body's size when it is in memory; undefined for a stream. */
function sizeOf(data: unknown): number | undefined {
  if (data === null || data === undefined) return 0;
  if (typeof data === 'string') return utf8Length(data);
  if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) return data.byteLength;
  return undefined;
}

/** Node's and Bun's native count where there is one (this log runs only there); else by encoding. */
const nativeByteLength = (globalThis as { Buffer?: { byteLength(s: string): number } }).Buffer?.byteLength;
const utf8Length = (s: string): number => nativeByteLength?.(s) ?? new TextEncoder().encode(s).byteLength;

/** Sizes of the bodies responses were built from, keyed by the response. */
const builtSizes = new WeakMap<Response, number>();

type Build = (data: unknown, ...rest: unknown[]) => Response;

/**
 * Notes the size of every body the handlers build through the context, so the log never reads a
 * body: reading one means a copy (a tee of the stream), and on Node it also turns a string
 * response, which @hono/node-server writes in one go, into a stream. `c.json` is routed through
 * `c.newResponse` with the JSON text, as Hono itself builds it.
 */
function noteBodySizes(c: Context<AppEnv>): void {
  const writable = c as unknown as Record<'body' | 'newResponse' | 'text' | 'html', Build> & {
    json: (object: unknown, arg?: unknown, headers?: Record<string, string>) => Response;
  };
  for (const name of ['body', 'newResponse', 'text', 'html'] as const) {
    const build = writable[name];
    writable[name] = (data, ...rest) => {
      const res = build(data, ...rest);
      const size = sizeOf(data);
      if (size !== undefined) builtSizes.set(res, size);
      return res;
    };
  }
  // Hono's own default: the JSON type first, so headers naming another type win.
  writable.json = (object, arg, headers) =>
    writable.newResponse(JSON.stringify(object), arg, { 'Content-Type': 'application/json', ...headers });
}

/** The response's body size if known without reading it. */
function knownBytes(method: string, res: Response): number | undefined {
  if (method === 'HEAD' || res.status === 204 || res.status === 304) return 0;
  const length = res.headers.get('content-length');
  if (length !== null && /^\d+$/.test(length)) return Number(length);
  return builtSizes.get(res);
}

/** `body` passed through unchanged, counting its bytes; `done` once when it ends, fails or is cancelled. */
function counted(body: ReadableStream<Uint8Array>, done: (bytes: number) => void): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let bytes = 0;
  let finished = false;
  const finish = () => {
    if (!finished) done(bytes);
    finished = true;
  };
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const { done: end, value } = await reader.read();
          if (end) {
            finish();
            controller.close();
            return;
          }
          bytes += value.byteLength;
          controller.enqueue(value);
        } catch (err) {
          finish();
          controller.error(err);
        }
      },
      cancel(reason) {
        finish();
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}

/**
 * One JSON line per request (`"message":"request"`), for the Node and Bun servers; Workers Logs
 * record every invocation already. Deliberately no URL, query, header or body: tokens and
 * passwords travel in those, and the route pattern with the status says what happened.
 */
export function accessLog(logger: Logger): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = performance.now();
    noteBodySizes(c);
    await next();
    const res = c.res;
    const write = (bytes: number, duration: number) => {
      const entry: AccessLogEntry = {
        method: c.req.method,
        route: routePattern(c),
        status: res.status,
        duration_ms: Math.round(duration * 10) / 10,
        bytes,
        request_id: c.get('requestId'),
      };
      logger.info('request', { ...entry });
    };
    const duration = performance.now() - started;
    const bytes = knownBytes(c.req.method, res);
    if (bytes !== undefined) return write(bytes, duration);
    if (!res.body) return write(0, duration);
    // A stream of unknown length: counted as it goes, never held.
    c.res = undefined as unknown as Response; // replaced outright, not merged with itself
    c.res = new Response(
      counted(res.body, (n) => write(n, duration)),
      res,
    );
  };
}
