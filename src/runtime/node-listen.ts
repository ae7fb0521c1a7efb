import type { Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import { Hono } from 'hono';
import { API_CSP, securityHeaders } from '../http/security-headers';
import { HEADERS_TIMEOUT_MS, KEEP_ALIVE_TIMEOUT_MS } from '../limits';
import type { Listen } from './local';

/** The security headers every app response carries, taken from the app's own middleware. */
async function securityHeaderLines(): Promise<string> {
  const probe = new Hono().use(securityHeaders(API_CSP)).get('/', (c) => c.body(null, 204));
  const res = await probe.request('/');
  return [...res.headers].map(([name, value]) => `${name}: ${value}\r\n`).join('');
}

/**
 * Node's own answer to a request it cannot parse is a bare `400` with no body. Answer as the app
 * does instead: a problem body with the security headers, then close the connection.
 */
function answerUnparsable(headerLines: string) {
  return (err: NodeJS.ErrnoException, socket: Socket) => {
    if (!socket.writable || socket.destroyed) {
      socket.destroy();
      return;
    }
    const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
    const status = tooLarge ? 431 : 400;
    const title = tooLarge ? 'Request Header Fields Too Large' : 'Bad Request';
    const body = JSON.stringify({
      type: 'about:blank',
      title,
      status,
      detail: tooLarge ? 'The request headers are too large.' : 'The request is not valid HTTP/1.1.',
    });
    socket.end(
      `HTTP/1.1 ${status} ${title}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n${headerLines}\r\n${body}`,
    );
  };
}

/** Beyond the body idle timeout: time for the app to answer its 408 before the socket goes. */
const IDLE_MARGIN_MS = 5000;

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
 * A refused request (413, 415, 401, 408…) is answered before its body is read; what is left of
 * the body is then drained for a moment and the connection dropped (@hono/node-server), so say
 * so, or a keep-alive client sends its next request into a closed socket.
 */
export function closeAfterRefusedBody(response: Response, bodyUnread: boolean): Response {
  if (!bodyUnread || response.status < 400 || response.headers.get('connection') === 'close') return response;
  const headers = new Headers(response.headers);
  headers.set('connection', 'close');
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

/** How often Node checks requests against headersTimeout; its default (30 s) would more than double it. */
const TIMEOUT_CHECK_MS = 1000;

/** Serves through @hono/node-server on one address. */
export const nodeListen: Listen = async (fetch, { hostname, port, idleMs }) => {
  const headerLines = await securityHeaderLines();
  return new Promise((resolve, reject) => {
    const server = createAdaptorServer({
      fetch: async (request, { incoming }) => {
        const response = await fetch(withNullBodyWhenEmpty(request), { address: incoming.socket.remoteAddress });
        return closeAfterRefusedBody(response, !incoming.complete);
      },
      serverOptions: {
        // Headers must arrive in time; a body is metered by the app (http/metered-body.ts), so
        // no total request time cuts off a large upload that keeps moving.
        headersTimeout: HEADERS_TIMEOUT_MS,
        requestTimeout: 0,
        keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
        connectionsCheckingInterval: TIMEOUT_CHECK_MS,
      },
    }) as Server;
    // A connection silent for longer than the app would wait for a body's next bytes (plus a
    // margin for the app's own answer) is dropped, whatever state it is in.
    server.setTimeout(idleMs + IDLE_MARGIN_MS, (socket) => socket.destroy());
    server.on('clientError', answerUnparsable(headerLines));
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
};
