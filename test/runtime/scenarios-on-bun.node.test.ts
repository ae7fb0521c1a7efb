import { afterAll, beforeAll, describe, it } from 'vitest';
import { SecretWitness } from '../support/log-secrets';
import { type ChildServer, dataDir, scenarioTarget, spawnEntry } from '../support/node/servers';
import { allScenarios } from '../support/scenarios';
import type { Target } from '../support/target';

// The runtime-neutral HTTP suite, every response held to the OpenAPI document the server
// serves, against `bun src/bun.ts` (Bun.serve) as a child process on a
// loopback port, with a fresh SQLite file and images directory. Everything it prints must
// hold none of the passwords, tokens and cookies the scenarios handed around.
let target: Target | undefined;
let server: ChildServer | undefined;
let removeData: (() => Promise<void>) | undefined;
const witness = new SecretWitness();

beforeAll(async () => {
  const data = await dataDir();
  removeData = data.remove;
  server = await spawnEntry('bun', data.env, data.dir);
  target = scenarioTarget('bun', server.origin, data, witness);
});

afterAll(async () => {
  const exit = await server?.stop();
  await removeData?.();
  if (exit && exit.code !== 0)
    throw new Error(`bun server exited with ${exit.code ?? exit.signal}:\n${server?.output()}`);
});

const current = (): Target => {
  if (!target) throw new Error('the Bun server did not start');
  return target;
};

for (const [name, scenario] of allScenarios()) {
  describe(`${name} [bun]`, () => scenario(current));
}

// Last: vitest runs a file's tests in the order they are declared.
it('printed no password, token, cookie or AUTH_SECRET over the whole run [bun]', () => {
  const lines = (server?.output() ?? '').split('\n').filter(Boolean);
  witness.expectNoLeak(lines, { secrets: 100, lines: 1 });
});
