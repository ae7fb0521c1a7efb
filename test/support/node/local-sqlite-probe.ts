/**
 * What a local `file:` database answers through the app's drizzle `Db` on this runtime (Node:
 * `libsql`'s synchronous driver; Bun: `bun:sqlite`), as plain JSON with the JavaScript type of
 * every value beside it, so the two runtimes' answers can be compared as equal
 * (test/database/local-sqlite-drivers.node.test.ts runs it in-process on Node and as `bun --eval` on Bun).
 */
import { readFileSync } from 'node:fs';
import { eq, sql } from 'drizzle-orm';
import { imageWithSession } from '../../../src/db/images/with-session';
import { openLibsql } from '../../../src/db/libsql';
import { images, users } from '../../../src/db/schema';

/** A value and its JavaScript type: a BigInt, or a float where an integer was stored, shows here. */
const typed = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(typed);
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, typed(v)]));
  return [typeof value, typeof value === 'bigint' ? String(value) : value, Number.isInteger(value)];
};

/**
 * Commits in the WAL: frames whose header gives the database size after a commit (non-zero only
 * on a transaction's last frame), counted among those of the WAL's current generation (salt).
 */
function walCommits(file: string): number {
  const wal = readFileSync(`${file}-wal`);
  const pageSize = wal.readUInt32BE(8);
  const salt = wal.readBigUInt64BE(16);
  let commits = 0;
  for (let at = 32; at + 24 + pageSize <= wal.length; at += 24 + pageSize) {
    if (wal.readBigUInt64BE(at + 8) !== salt) break;
    if (wal.readUInt32BE(at + 4) !== 0) commits++;
  }
  return commits;
}

const CREATED = 1_764_337_000_123;
/**
 * Astral, combining, replacement and control characters, and quotes. Not NUL: libsql reads text
 * only up to one (bun:sqlite reads it whole), and the app keeps control characters out of names.
 */
const ODD_TEXT = 'zoë 😀 e\u0301 \uFFFD \u0001x \t"\'\\';

export async function probeLocalSqlite(file: string): Promise<Record<string, unknown>> {
  const database = await openLibsql({ url: `file:${file}` });
  try {
    const { db } = database;
    const out: Record<string, unknown> = {};
    // drizzle's session class tells which driver serves: the point of the comparison.
    out.session = (db as unknown as { session: object }).session.constructor.name;

    const [user] = await db
      .insert(users)
      .values({ email: 'u@example.com', passwordHash: 'x', createdAt: CREATED, updatedAt: CREATED })
      .returning();
    if (!user) throw new Error('no user');
    out.user = typed(user);

    const image = (key: string, verified: boolean) => ({
      ownerId: user.id,
      name: ODD_TEXT,
      contentType: 'image/png',
      size: 2 ** 40,
      storageKey: key,
      sha256: '0'.repeat(64),
      width: key === 'a' ? 4000 : null,
      height: null,
      verified,
      createdAt: CREATED + 1,
    });
    // A write batch: its results (returning rows and run results) and a read after the writes.
    const [first, second, count] = await db.batch([
      db.insert(images).values(image('a', true)).returning(),
      db.insert(images).values(image('b', false)).returning({ id: images.id, verified: images.verified }),
      db.select({ n: sql<number>`count(*)`, total: sql<number>`sum(${images.size})` }).from(images),
    ]);
    out.writeBatch = typed({ first, second, count });
    // A read-only batch (runs without BEGIN … COMMIT).
    out.readBatch = typed(
      await db.batch([
        db.select().from(users).where(eq(users.id, user.id)),
        db.select({ verified: images.verified, name: images.name }).from(images).orderBy(images.id),
      ]),
    );
    // The same SQL text as objects (`all`) and then as arrays (drizzle's mapped select), through
    // the one kept statement: libsql's raw mode must not leak from one to the other. (Not
    // `db.get(sql)`, which the app never calls: drizzle's bun session answers it as an array.)
    const mapped = db.select({ id: images.id, name: images.name }).from(images).orderBy(images.id);
    const text = mapped.toSQL().sql;
    out.sameStatement = typed([
      await db.all(sql.raw(text)),
      await mapped,
      await db.all(sql.raw(text)),
      await mapped.get(),
      await mapped,
    ]);
    out.prepared = typed(await imageWithSession(db, { userId: user.id, tokenVersion: 0 }, first[0]?.id ?? 0));

    // All or nothing: a failing statement rolls the earlier one back.
    const failed = await db
      .batch([
        db.update(users).set({ tokenVersion: 7 }).where(eq(users.id, user.id)),
        db.insert(images).values(image('a', true)),
      ])
      .then(
        () => 'committed',
        (err: unknown) => (err instanceof Error ? 'rejected' : 'threw a non-error'),
      );
    const [after] = await db.select({ tokenVersion: users.tokenVersion }).from(users);
    out.allOrNothing = typed({ failed, after });

    // Group commit: write batches issued in the same turn share one commit, and each is still all
    // or nothing, fails alone and sees the writes of those before it.
    const commitsBefore = walCommits(file);
    const settled = await Promise.allSettled([
      db.batch([
        db.update(users).set({ tokenVersion: 1 }).where(eq(users.id, user.id)),
        db.select({ tokenVersion: users.tokenVersion }).from(users),
      ]),
      db.batch([db.insert(images).values(image('c', true)), db.insert(images).values(image('a', true))]),
      db.batch([
        db
          .update(users)
          .set({ tokenVersion: sql`${users.tokenVersion} + 1` })
          .where(eq(users.id, user.id)),
        db.select({ tokenVersion: users.tokenVersion }).from(users),
      ]),
    ]);
    const commits = walCommits(file) - commitsBefore;
    const rolledBack = await db.select({ n: sql<number>`count(*)` }).from(images).where(eq(images.storageKey, 'c'));
    out.groupCommit = typed({
      outcomes: settled.map((s) => (s.status === 'fulfilled' ? s.value[1] : s.reason instanceof Error)),
      commits,
      rolledBack,
    });
    // A batch still waiting for its group when the database closes is committed first.
    const other = await openLibsql({ url: `file:${file}` });
    const pending = other.db.batch([other.db.insert(images).values(image('d', false))]);
    other.close();
    await pending;
    out.committedAtClose = typed(
      await db.select({ n: sql<number>`count(*)` }).from(images).where(eq(images.storageKey, 'd')),
    );

    // Foreign keys are on: a user's delete cascades to their images.
    await db.delete(users).where(eq(users.id, user.id));
    out.cascade = typed(await db.select({ n: sql<number>`count(*)` }).from(images));
    return out;
  } finally {
    database.close();
  }
}
