import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import worker from '../../../src/index';
import { withContract } from '../openapi-contract';
import { withSecurityHeaders } from '../security-headers';
import { randomPrivateAddress, type Target } from '../target';
import { storedKeys } from './stored-keys';

/**
 * The worker under test, called in-process through its own fetch handler. Called directly
 * rather than through `exports.default.fetch`: the pool's self-fetch gets slower with every
 * call made in a test file (cloudflare/workers-sdk#15446; ~4 ms to ~100 ms per request after a
 * few hundred here), which turned the later scenarios into timeouts.
 */
export const workersTarget: Target = workerFrom(undefined);

/** Cloudflare's edge names the client in `CF-Connecting-IP`; here the test plays the edge. */
function workerFrom(address: string | undefined): Target {
  return {
    name: 'workers',
    authSecret: env.AUTH_SECRET,
    fromNewAddress: () => workerFrom(randomPrivateAddress()),
    storedKeys,
    // The operator action on D1 is SQL (`wrangler d1 execute`); here the test runs the same.
    setOperator: async (email, operator) => {
      await env.DB.prepare('UPDATE users SET is_operator = ? WHERE email = ?')
        .bind(operator ? 1 : 0, email.trim().toLowerCase())
        .run();
    },
    fetch: async (path, init) => {
      const ctx = createExecutionContext();
      const request = new Request(new URL(path, 'http://localhost:8000'), init);
      if (address) request.headers.set('cf-connecting-ip', address);
      const response = await worker.fetch(request as Parameters<typeof worker.fetch>[0], env, ctx);
      await waitOnExecutionContext(ctx);
      return response;
    },
  };
}

/**
 * The same worker, with every response checked against the OpenAPI document it serves: an
 * undocumented status, media type or header, or a body that does not match its schema,
 * rejects the fetch and so fails the test that received it. So does a response without the
 * security headers.
 */
export const contractTarget = withContract(withSecurityHeaders(workersTarget));
