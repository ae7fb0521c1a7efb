import { exports } from 'cloudflare:workers';
import { withContract } from '../support/openapi-contract';
import type { Target } from '../support/target';

/** The worker under test, called in-process through its own fetch handler. */
export const workersTarget: Target = {
  name: 'workers',
  fetch: (path, init) => exports.default.fetch(new Request(new URL(path, 'http://localhost:8000'), init)),
};

/**
 * The same worker, with every response checked against the OpenAPI document it serves: an
 * undocumented status, media type or header, or a body that does not match its schema,
 * rejects the fetch and so fails the test that received it.
 */
export const contractTarget = withContract(workersTarget);
