// `npm run bench:loop`: whether one user's expensive reads hold a Node (or Bun) server's event
// loop. A real server (src/node.ts through tsx, or src/bun.ts with BENCH_RUNTIME=bun) on a
// temporary database; one user seeded straight through SQL with LOOP_IMAGES images of
// LOOP_TAGS tags each (defaults: the 100,000 × 50). While that user runs eight
// parallel `GET /api/v1/tags` and one legacy list (`GET /api/images`, every image), a probe
// asks `/healthz` every 10 ms: its p50/p99/max is how long anyone else waits. Then the same
// for tag-filtered v1 lists (a tag on the oldest images only, and two tags together).
// Loopback only. Prints one JSON object at the end.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@libsql/client';
import { bearer, newUser } from '../test/support/client';
import { httpTarget, serverEnv, spawnEntry } from '../test/support/node/servers';
import { RARE_TAG, seedTaggedImagesSql } from '../test/support/tag-seed';

const setting = (name: string, fallback: number) => {
  const value = Number(process.env[name] ?? fallback);
  if (!(Number.isInteger(value) && value > 0)) throw new Error(`${name} must be a positive integer`);
  return value;
};
const IMAGES = setting('LOOP_IMAGES', 100_000);
const TAGS = setting('LOOP_TAGS', 50);
const ROUNDS = setting('LOOP_ROUNDS', 3);
const runtime = process.env.BENCH_RUNTIME === 'bun' ? 'bun' : 'node';

const dir = await mkdtemp(join(tmpdir(), 'imageapi-loop-'));
const env = serverEnv(dir);
const server = await spawnEntry(runtime, env, dir, 60_000);
const target = httpTarget(runtime, server.origin);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? Number.NaN;
  const r = (x: number) => Math.round(x * 10) / 10;
  return { n: s.length, p50: r(at(0.5)), p99: r(at(0.99)), max: r(s.at(-1) ?? Number.NaN) };
};

let retries = 0;

async function timed(path: string, headers: Record<string, string>): Promise<number> {
  const t0 = performance.now();
  // A kept-alive connection the server closed as idle just as it was reused: once more, counted.
  const res = await target.fetch(path, { headers }).catch(() => {
    retries++;
    return target.fetch(path, { headers });
  });
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`${path}: ${res.status}`);
  return performance.now() - t0;
}

/** Runs `load` while probing /healthz every 10 ms; the probe's latencies and the load's times. */
async function underLoad(load: () => Promise<number[]>) {
  const health: number[] = [];
  let done = false;
  const probe = (async () => {
    while (!done) {
      health.push(await timed('/healthz', {}));
      await sleep(10);
    }
  })();
  const requests: number[] = [];
  for (let round = 0; round < ROUNDS; round++) requests.push(...(await load()));
  done = true;
  await probe;
  return { healthz: stats(health), requests: stats(requests) };
}

try {
  const user = await newUser(target, 'loop');
  const client = createClient({ url: env.DATABASE_URL as string });
  const t0 = performance.now();
  for (const s of seedTaggedImagesSql(user.id, { images: IMAGES, tagsPerImage: TAGS, pool: 500, rareImages: 20 })) {
    await client.execute(s);
  }
  // The seed's WAL folded into the database now, not by the server's first commit mid-measurement.
  await client.execute('PRAGMA wal_checkpoint(TRUNCATE)');
  const counted = await client.execute('SELECT count(*) AS n FROM image_tags');
  const imageTags = Number(counted.rows[0]?.n);
  client.close();
  const seedSeconds = Math.round((performance.now() - t0) / 100) / 10;
  const auth = bearer(user);

  const idle = await underLoad(async () => {
    await sleep(1000);
    return [];
  });
  const tagsAndLegacy = await underLoad(() =>
    Promise.all([...Array.from({ length: 8 }, () => timed('/api/v1/tags', auth)), timed('/api/images', auth)]),
  );
  const tagCounts = await underLoad(() => Promise.all(Array.from({ length: 8 }, () => timed('/api/v1/tags', auth))));
  const legacyList = await underLoad(async () => [await timed('/api/images', auth)]);
  const filtered = await underLoad(() =>
    Promise.all([
      timed(`/api/v1/images?tag=${RARE_TAG}&limit=100`, auth),
      timed(`/api/v1/images?tag=tag-1&tag=tag-300&limit=100`, auth),
      timed(`/api/images?tag=${RARE_TAG}`, auth),
    ]),
  );
  console.log(
    JSON.stringify(
      {
        runtime,
        images: IMAGES,
        tagsPerImage: TAGS,
        imageTags,
        rounds: ROUNDS,
        seedSeconds,
        retries,
        ms: { idle, tagsAndLegacy, tagCounts, legacyList, filtered },
      },
      null,
      2,
    ),
  );
} catch (err) {
  console.error(server.output().slice(-3000));
  throw err;
} finally {
  await server.stop();
  await rm(dir, { recursive: true, force: true });
}
