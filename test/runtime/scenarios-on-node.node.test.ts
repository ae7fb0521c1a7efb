import { afterAll, beforeAll, describe, it } from 'vitest';
import { SecretWitness } from '../support/log-secrets';
import { dataDir, memoryLogger, scenarioTarget, startInProcess } from '../support/node/servers';
import { allScenarios } from '../support/scenarios';
import type { Target } from '../support/target';

// The runtime-neutral HTTP suite, every response held to the OpenAPI document the server
// serves, against a real Node server (src/runtime with @hono/node-server)
// on a loopback port, with a fresh SQLite file and images directory. Its log is kept, and
// must hold none of the passwords, tokens and cookies the scenarios handed around.
let target: Target | undefined;
let stop: (() => Promise<void>) | undefined;
const logger = memoryLogger();
const witness = new SecretWitness();

beforeAll(async () => {
  const data = await dataDir();
  const server = await startInProcess(data.env, logger);
  target = scenarioTarget('node', server.origin, data, witness);
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

// Last: vitest runs a file's tests in the order they are declared.
it('logged no password, token, cookie or AUTH_SECRET over the whole run [node]', () => {
  witness.expectNoLeak(
    logger.lines.map((l) => JSON.stringify(l)),
    { secrets: 100, lines: 1 },
  );
});
