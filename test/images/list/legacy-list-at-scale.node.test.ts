import { type Client, createClient } from '@libsql/client';
import { drizzle } from 'drizzle-orm/libsql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../../src/db/client';
import { drizzleOptions } from '../../../src/db/client';
import { bearer, newUser, type TestUser } from '../../support/client';
import { expectCompleteList, renderedAtOnce, SCALE_IMAGES, seedImagesSql } from '../../support/list-scale';
import { dataDir, runtimeServer } from '../../support/node/servers';
import type { Target } from '../../support/target';

/**
 * The legacy list of 50,000 images from real Node and Bun servers (the D1 side:
 * test/images/list/legacy-list-at-scale.workers.test.ts): rows seeded straight into the server's SQLite file, the
 * streamed answer complete, in order and byte for byte what rendering them at once gives. A
 * database failure midway is tested on the Workers harness (test/images/list/legacy-list-at-scale.workers.test.ts),
 * where it can be injected: renaming the table under a live server here did not fail the
 * server's later pages reliably, so no such test runs on Node and Bun.
 */
describe.each(['node', 'bun'] as const)('legacy list of 50,000 images [%s]', (runtime) => {
  let target: Target;
  let client: Client;
  let db: Db;
  let user: TestUser;
  let stop: () => Promise<void>;

  beforeAll(async () => {
    const data = await dataDir();
    const server = await runtimeServer(runtime, data);
    target = server.target;
    const shutdown = server.shutdown;
    client = createClient({ url: data.env.DATABASE_URL as string });
    db = drizzle(client, drizzleOptions) as unknown as Db;
    stop = async () => {
      client.close();
      await shutdown();
      await data.remove();
    };
    user = await newUser(target, `scale-${runtime}`);
    for (const s of seedImagesSql(user.id)) await client.execute(s);
  }, 120_000);

  afterAll(() => stop?.());

  it('answers all of them, unique, newest first, as rendering them at once would', async () => {
    const res = await target.fetch('/api/images', { headers: bearer(user) });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    const text = await res.text();
    expectCompleteList(text, SCALE_IMAGES);
    expect(text).toBe(await renderedAtOnce(db, user.id));
  }, 120_000);
});
