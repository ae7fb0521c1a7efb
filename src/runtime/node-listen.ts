import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import type { Listen } from './local';

/** How often idle keep-alive connections are closed while draining. */
const DRAIN_POLL_MS = 100;

/** Serves through @hono/node-server on one address. */
export const nodeListen: Listen = (fetch, { hostname, port }) =>
  new Promise((resolve, reject) => {
    const server = createAdaptorServer({ fetch: (request) => fetch(request) }) as Server;
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
