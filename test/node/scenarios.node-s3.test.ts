import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3Store } from '../../src/storage/s3';
import { SecretWitness } from '../support/log-secrets';
import { allScenarios } from '../support/scenarios';
import type { Target } from '../support/target';
import { filesUnder } from './support/files';
import { type MotoServer, startMoto } from './support/moto';
import { dataDir, memoryLogger, scenarioTarget, startInProcess } from './support/servers';

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
  const store = s3Store(bucket.settings);
  const data = await dataDir();
  dataFolder = data.dir;
  const env = { ...data.env, ...bucket.env };
  const server = await startInProcess(env, logger);
  // What the scenarios see as the store: every object, and every multipart upload still open
  // (the bucket's counterpart of the directory store's temp files).
  const storedKeys = async () => {
    const keys = new Set<string>();
    let cursor: string | undefined;
    do {
      const page = await store.list({ cursor });
      for (const o of page.objects) keys.add(o.key);
      cursor = page.cursor;
    } while (cursor);
    mostObjects = Math.max(mostObjects, keys.size);
    for (const u of await store.listMultipartUploads()) keys.add(`${u.key} (multipart upload ${u.uploadId})`);
    return keys;
  };
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
  const folder = dataFolder;
  const files = (await filesUnder(folder)).map((p) => relative(folder, p));
  expect(existsSync(join(folder, 'images'))).toBe(false);
  expect(files.filter((f) => !/^imageapi\.db(-wal|-shm|-journal)?$/.test(f))).toEqual([]);
  expect(mostObjects).toBeGreaterThan(0);
});

it('logged no password, token, cookie or AUTH_SECRET over the whole run [node-s3]', () => {
  witness.expectNoLeak(
    logger.lines.map((l) => JSON.stringify(l)),
    { secrets: 100, lines: 1 },
  );
});
