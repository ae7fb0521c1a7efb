/**
 * Applies the drizzle-kit migrations through `@libsql/client`, safely when several servers start
 * at once against one database (a shared sqld, or one file). drizzle's own migrator reads which
 * migrations are applied, then applies the rest in a batch: two servers starting together both
 * read "none applied" and the second one's batch fails half-way or, for a migration that can run
 * twice, applies it twice. Here the batch records its migrations *first*, under a unique index,
 * and runs in one transaction: of two racing batches the second fails on that index before any
 * of its statements counts, and its server reads again and finds nothing left to do.
 *
 * The bookkeeping is drizzle's (same table, same rows), so databases migrated either way agree.
 */
import type { Client, InStatement } from '@libsql/client';
import { readMigrationFiles } from 'drizzle-orm/migrator';

const TABLE = '__drizzle_migrations';
/** Another server's batch won: read again, a few times, while its rows reach this server's view. */
const RACE_RETRIES = 20;
const RACE_PAUSE_MS = 100;

const isUniqueViolation = (err: unknown): boolean => {
  for (let e: unknown = err, depth = 0; e && depth < 5; depth++) {
    if (e instanceof Error && /UNIQUE constraint failed/i.test(e.message)) return true;
    e = e instanceof Error ? e.cause : undefined;
  }
  return false;
};

/** Applies what is pending; returns how many migrations this call applied (0 when another server did). */
export async function applyMigrations(client: Client, migrationsFolder: string): Promise<number> {
  const migrations = readMigrationFiles({ migrationsFolder });
  // Both idempotent, so racing servers may all run them.
  await client.execute(
    `CREATE TABLE IF NOT EXISTS "${TABLE}" (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at numeric)`,
  );
  await client.execute(`CREATE UNIQUE INDEX IF NOT EXISTS "${TABLE}_created_at" ON "${TABLE}" (created_at)`);

  for (let attempt = 0; ; attempt++) {
    const last = await client.execute(`SELECT max(created_at) AS last FROM "${TABLE}"`);
    const applied = last.rows[0]?.last;
    // As drizzle decides: a migration is pending when it is newer than the newest one applied.
    const pending = migrations.filter((m) => applied == null || Number(applied) < m.folderMillis);
    if (pending.length === 0) return 0;
    const claims: InStatement[] = pending.map((m) => ({
      sql: `INSERT INTO "${TABLE}" ("hash", "created_at") VALUES (?, ?)`,
      args: [m.hash, m.folderMillis],
    }));
    const statements = pending.flatMap((m) => m.sql.filter((s) => s.trim() !== ''));
    try {
      // `migrate` is a batch in one transaction with foreign keys off, as drizzle runs it.
      await client.migrate([...claims, ...statements]);
      return pending.length;
    } catch (err) {
      if (!isUniqueViolation(err) || attempt >= RACE_RETRIES) throw err;
      await new Promise((resolve) => setTimeout(resolve, RACE_PAUSE_MS));
    }
  }
}
