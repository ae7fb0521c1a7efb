import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretWitness } from '../support/log-secrets';
import { bucketContents, filesBesideDatabase, type MotoServer, startMoto } from '../support/node/moto';
import { dataDir, memoryLogger, scenarioTarget, startInProcess } from '../support/node/servers';
import { allScenarios } from '../support/scenarios';
import type { Target } from '../support/target';

// The runtime-neutral HTTP suite against a real Node server whose images live in an
// S3-compatible bucket (moto on loopback) instead of a directory: S3_BUCKET and its keys set,
// IMAGES_DIR still pointing at the data folder, which must never get a byte of an image.
let target: Target | undefined;
let stop: (() => Promise<void>) | undefined;
let moto: MotoServer | undefined;
let dataFolder: string | undefined;
/** The most objects the bucket held when a scenario looked: proof the run stored bytes there. */
let mostObjects = 0;
const logger = memoryLogger();
const witness = new SecretWitness();

beforeAll(async () => {
  moto = await startMoto();
  const bucket = await moto.bucket();
  const data = await dataDir();
  dataFolder = data.dir;
  const env = { ...data.env, ...bucket.env };
  const server = await startInProcess(env, logger);
  const storedKeys = bucketContents(bucket.settings, (n) => {
    mostObjects = Math.max(mostObjects, n);
  });
  target = scenarioTarget('node-s3', server.origin, { env }, witness, storedKeys);
  stop = async () => {
    await server.shutdown('tests done');
    await data.remove();
  };
}, 60_000);

afterAll(async () => {
  await stop?.();
  await moto?.stop();
});

const current = (): Target => {
  if (!target) throw new Error('the Node server with an S3 store did not start');
  return target;
};

for (const [name, scenario] of allScenarios()) {
  describe(`${name} [node-s3]`, () => scenario(current));
}

// Last: vitest runs a file's tests in the order they are declared.
it('wrote no image bytes to local disk: the data folder holds the database alone [node-s3]', async () => {
  if (!dataFolder) throw new Error('no data folder');
  expect(await filesBesideDatabase(dataFolder)).toEqual([]);
  expect(mostObjects).toBeGreaterThan(0);
});

it('logged no password, token, cookie or AUTH_SECRET over the whole run [node-s3]', () => {
  witness.expectNoLeak(
    logger.lines.map((l) => JSON.stringify(l)),
    { secrets: 100, lines: 1 },
  );
});
