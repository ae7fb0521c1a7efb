import { randomUUID } from 'node:crypto';
import { link, unlink } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { fileSliceOf } from '../storage/fs/file-slices';

/** How long a served file's extra name lives: far longer than Bun takes to open it. */
const SERVING_LINK_MS = 10_000;

import { BUN_MAX_IDLE_SECONDS } from '../limits';
import type { FetchHandler, Listen } from './local';

/** The part of Bun's server API used here (bun's own type package is not installed). */
interface BunServer {
  readonly port: number;
  /** Stops listening; `true` also closes active connections. Resolves when all are closed. */
  stop(closeActiveConnections?: boolean): Promise<void> | undefined;
  /** The peer of the connection a request came on. */
  requestIP(request: Request): { address: string } | null;
}
interface BunGlobal {
  serve(options: {
    hostname: string;
    port: number;
    maxRequestBodySize: number;
    /** Seconds a connection may be silent before Bun closes it (at most 255). */
    idleTimeout: number;
    fetch(request: Request, server: BunServer): Response | Promise<Response>;
  }): BunServer;
  /** A lazily read file; `slice` keeps it lazy. */
  file(path: string): Blob;
}

/** Bun.serve's own cap on request bodies. */
const BUN_DEFAULT_MAX_BODY = 128 * 1024 * 1024;

/**
 * Bun drops a handler's `Content-Length` from any stream body and sends it chunked
 * (oven-sh/bun#10507); only file bodies keep their length (and go out with sendfile). So a body
 * that is an untouched stream from the fs store, with the matching length, is sent as that file.
 */
async function withFileBody(bun: BunGlobal, response: Response): Promise<Response> {
  const slice = await fileSliceOf(response.body);
  if (!slice || response.headers.get('content-length') !== String(slice.end - slice.start)) return response;
  // Bun opens the file by name only when it starts sending, after this returns: a delete in
  // between would turn the 200 into Bun's own error page. Send a private hard link instead,
  // removed a while later (an open file outlives its name); if the file is already gone, the
  // stream, which holds it open, still serves it (chunked).
  const served = `${dirname(slice.path)}/.${basename(slice.path)}.${randomUUID()}.serving.tmp`;
  try {
    await link(slice.path, served);
  } catch {
    return response;
  }
  setTimeout(() => void unlink(served).catch(() => {}), SERVING_LINK_MS).unref?.();
  await response.body?.cancel();
  return new Response(bun.file(served).slice(slice.start, slice.end), {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
}

/** Serves through `Bun.serve` on one address. */
export const bunListen: Listen = async (fetch: FetchHandler, { hostname, port, maxRequestBodyBytes, idleMs }) => {
  const bun = (globalThis as { Bun?: BunGlobal }).Bun;
  if (!bun) throw new Error('bunListen needs the Bun runtime');
  const server = bun.serve({
    hostname,
    port,
    maxRequestBodySize: Math.max(BUN_DEFAULT_MAX_BODY, maxRequestBodyBytes),
    // Past the app's own body idle timeout, so the app answers its 408 first.
    idleTimeout: Math.min(BUN_MAX_IDLE_SECONDS, Math.ceil(idleMs / 1000) + 5),
    fetch: async (request, self) =>
      withFileBody(bun, await fetch(request, { address: self.requestIP(request)?.address })),
  });
  return {
    address: hostname,
    port: server.port,
    close: async () => {
      await server.stop(false);
    },
    forceClose: () => {
      void server.stop(true);
    },
  };
};
