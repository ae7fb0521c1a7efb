// `npm run bench:drivers` (tsx, then bun, on bench/local-drivers.ts): µs per call of three database
// calls the routes make, on a migrated local `file:` database, through `@libsql/client` and
// through this runtime's synchronous driver (src/db/local-sqlite.ts: `libsql` on Node,
// `bun:sqlite` on Bun), both behind the app's drizzle `Db`. Interleaved rounds, median reported;
// only the ratios mean much on a shared machine.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { batchAround } from '../src/db/batch';
import type { Db } from '../src/db/client';
import { imageById } from '../src/db/images/queries';
import { uploadRows } from '../src/db/images/upload-rows';
import { imageWithSession } from '../src/db/images/with-session';
import { openLibsql } from '../src/db/libsql';
import { users } from '../src/db/schema';
import { sessionRow } from '../src/db/session-queries';

const ROUNDS = 5;
const READS = 2_000;
const WRITES = 300;

const dir = mkdtempSync(join(tmpdir(), 'imageapi-drivers-'));
const url = `file:${join(dir, 'bench.db')}`;
const drivers = {
  client: await openLibsql({ url, serveSynchronously: false }),
  sync: await openLibsql({ url, serveSynchronously: true }),
};

let uploads = 0;
/** What an upload writes: the batch services/images.ts writeRows runs (db/images/upload-rows.ts). */
function uploadBatch(db: Db, userId: number) {
  const rows = uploadRows(
    db,
    { userId, tokenVersion: 0 },
    {
      name: 'a.png',
      contentType: 'image/png',
      size: 10_000,
      storageKey: `images/bench-${uploads++}`,
      sha256: '0'.repeat(64),
      width: 10,
      height: 10,
      verified: true,
      createdAt: Date.now(),
    },
    ['red', 'blue'],
    { maxBytes: 0, maxImages: 0 },
  );
  return batchAround(db, [rows.insert], rows.writes, [rows.session, rows.usage]);
}

try {
  const seed = drivers.client.db;
  const [user] = await seed.insert(users).values({ email: 'bench@example.com', passwordHash: 'x' }).returning();
  if (!user) throw new Error('no user');
  const [[[first]]] = await uploadBatch(seed, user.id);
  if (!first) throw new Error('no image');
  const session = { userId: user.id, tokenVersion: 0 };

  const calls = {
    'one-statement image read (prepared.ts imageWithSession)': (db: Db) => imageWithSession(db, session, first.id),
    'read-only batch of two (session row, image by id)': (db: Db) =>
      db.batch([sessionRow(db, session), imageById(db, user.id, first.id)]),
    'upload-like write batch (6 statements)': (db: Db) => uploadBatch(db, user.id),
  };
  const runtime = 'bun' in process.versions ? `Bun ${process.versions.bun}` : `Node ${process.version}`;
  console.log(`${runtime}, ${ROUNDS} interleaved rounds, median µs per call`);
  for (const [name, call] of Object.entries(calls)) {
    const n = name.startsWith('upload') ? WRITES : READS;
    const times: Record<string, number[]> = { client: [], sync: [] };
    // Warm-up: statements prepared, JIT settled.
    for (const { db } of Object.values(drivers)) for (let i = 0; i < n / 10; i++) await call(db);
    for (let round = 0; round < ROUNDS; round++) {
      for (const [driver, { db }] of Object.entries(drivers)) {
        const start = performance.now();
        for (let i = 0; i < n; i++) await call(db);
        times[driver]?.push(((performance.now() - start) * 1000) / n);
      }
    }
    const median = (xs: number[] = []) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
    const [client, sync] = [median(times.client), median(times.sync)];
    console.log(
      `${name}: @libsql/client ${client.toFixed(0)} µs, synchronous driver ${sync.toFixed(0)} µs (${(client / sync).toFixed(1)}× faster)`,
    );
  }
} finally {
  drivers.sync.close();
  drivers.client.close();
  rmSync(dir, { recursive: true, force: true });
}
