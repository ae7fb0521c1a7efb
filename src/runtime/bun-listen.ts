import type { Listen } from './local';

/** The part of Bun's server API used here (bun's own type package is not installed). */
interface BunServer {
  readonly port: number;
  readonly hostname: string;
  /** Stops listening; `true` also closes active connections. Resolves when all are closed. */
  stop(closeActiveConnections?: boolean): Promise<void> | undefined;
}
interface BunGlobal {
  serve(options: {
    hostname: string;
    port: number;
    maxRequestBodySize: number;
    fetch(request: Request): Response | Promise<Response>;
    error?(error: Error): Response;
  }): BunServer;
}

/** Bun.serve's own cap on request bodies. */
const BUN_DEFAULT_MAX_BODY = 128 * 1024 * 1024;

/** Serves through `Bun.serve` on one address. */
export const bunListen: Listen = async (fetch, { hostname, port, maxRequestBodyBytes }) => {
  const bun = (globalThis as { Bun?: BunGlobal }).Bun;
  if (!bun) throw new Error('bunListen needs the Bun runtime');
  const server = bun.serve({
    hostname,
    port,
    maxRequestBodySize: Math.max(BUN_DEFAULT_MAX_BODY, maxRequestBodyBytes),
    fetch: (request) => fetch(request),
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
