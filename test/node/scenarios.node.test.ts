import { afterAll, beforeAll, describe } from 'vitest';
import { withContract } from '../support/openapi-contract';
import { allScenarios } from '../support/scenarios';
import { withSecurityHeaders } from '../support/security-headers';
import type { Target } from '../support/target';
import { dataDir, httpTarget, startInProcess } from './support/servers';

// The runtime-neutral HTTP suite, every response held to the OpenAPI document the server
// serves, against a real Node server (src/runtime with @hono/node-server)
// on a loopback port, with a fresh SQLite file and images directory.
let target: Target | undefined;
let stop: (() => Promise<void>) | undefined;

beforeAll(async () => {
  const data = await dataDir();
  const server = await startInProcess(data.env);
  target = withContract(withSecurityHeaders(httpTarget('node', server.origin)));
  stop = async () => {
    await server.shutdown('tests done');
    await data.remove();
  };
});

afterAll(() => stop?.());

const current = (): Target => {
  if (!target) throw new Error('the Node server did not start');
  return target;
};

for (const [name, scenario] of allScenarios()) {
  describe(`${name} [node]`, () => scenario(current));
}
