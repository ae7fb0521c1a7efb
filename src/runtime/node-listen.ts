import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import type { Listen } from './local';

/** How often idle keep-alive connections are closed while draining. */
const DRAIN_POLL_MS = 100;

/**
 * Workers and Bun hand the app `body === null` for a request without a body; @hono/node-server
 * gives every POST/PUT/... a stream, even an empty one. Normalised here so the app sees the same
 * Request on every runtime (its "no body at all" handling depends on it).
 */
export function withNullBodyWhenEmpty(request: Request): Request {
  if (request.method === 'GET' || request.method === 'HEAD') return request;
  const length = request.headers.get('content-length');
  if (request.headers.has('transfer-encoding') || (length !== null && length.trim() !== '0')) return request;
  return new Request(request.url, { method: request.method, headers: request.headers, signal: request.signal });
}

/**
 * A refused upload (413) is answered before its body is read; Node then drops the connection,
 * so say so, or a keep-alive client sends its next request into a closed socket.
 */
export function closeAfterRefusedBody(response: Response): Response {
  if (response.status !== 413 || response.headers.get('connection') === 'close') return response;
  const headers = new Headers(response.headers);
  headers.set('connection', 'close');
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

/** Serves through @hono/node-server on one address. */
export const nodeListen: Listen = (fetch, { hostname, port }) =>
  new Promise((resolve, reject) => {
    const server = createAdaptorServer({
      fetch: async (request, { incoming }) =>
        closeAfterRefusedBody(await fetch(withNullBodyWhenEmpty(request), { address: incoming.socket.remoteAddress })),
    }) as Server;
    server.once('error', reject);
    server.listen(port, hostname, () => {
      server.off('error', reject);
      const address = server.address() as AddressInfo;
      resolve({
        address: address.address,
        port: address.port,
        close: () =>
          new Promise<void>((done) => {
            // close() stops accepting and waits for every connection to end; a keep-alive
            // connection ends only once idle, so keep closing idle ones as responses finish.
            const poll = setInterval(() => server.closeIdleConnections(), DRAIN_POLL_MS);
            server.close(() => {
              clearInterval(poll);
              done();
            });
            server.closeIdleConnections();
          }),
        forceClose: () => server.closeAllConnections(),
      });
    });
  });
