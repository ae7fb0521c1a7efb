/**
 * The serving connection for a local `file:` database on Node: libsql's synchronous native
 * driver (the better-sqlite3 API, in the `libsql` package that `@libsql/client` itself runs on),
 * behind the same drizzle `Db` as D1 and remote libsql. Measured on this project's one-statement
 * image read: ~74 µs with the statement prepared once vs ~941 µs through `@libsql/client`'s
 * `execute` (README, "Local SQLite drivers").
 *
 * drizzle's synchronous drivers have no `batch()`, and every write here relies on one, so
 * `batch` runs its statements in one synchronous transaction: nothing else can run on this
 * connection meanwhile, and any failure rolls all of it back — what D1's batch guarantees.
 */

import type { BatchItem } from 'drizzle-orm/batch';
import { BetterSQLiteSession } from 'drizzle-orm/better-sqlite3/session';
import { BaseSQLiteDatabase, SQLiteSyncDialect } from 'drizzle-orm/sqlite-core';
import Database from 'libsql';
import { type Db, drizzleOptions } from './client';

/** Statements kept prepared, by SQL text: every route's SQL is a handful of fixed texts. */
const STATEMENT_CACHE = 500;

type NativeDatabase = InstanceType<typeof Database>;
type NativeStatement = ReturnType<NativeDatabase['prepare']>;

/** What drizzle's batch gets from each item: the query prepared for this connection. */
interface PreparableItem {
  _prepare(): { query: { sql: string }; execute(): { sync(): unknown } };
}

/** Statements that only read: drizzle's selects (`with … select` included). */
const READ_ONLY = /^\s*(?:select|with)\b/i;

/**
 * drizzle prepares each query anew; SQLite's prepare is most of a small read's cost, so the
 * connection keeps prepared statements by their SQL (they are reused one at a time: the driver
 * is synchronous). drizzle switches a statement to raw rows when it maps columns itself, so a
 * reused one is switched back first.
 */
function keepStatementsPrepared(database: NativeDatabase): void {
  const prepare = database.prepare.bind(database);
  const cache = new Map<string, NativeStatement>();
  // The generic signature of `prepare` is for callers that type their parameters; drizzle does not.
  database.prepare = ((sql: string) => {
    const kept = cache.get(sql);
    if (kept) {
      if (kept.reader) kept.raw(false);
      return kept;
    }
    const statement = prepare(sql);
    if (cache.size >= STATEMENT_CACHE) cache.delete(cache.keys().next().value as string);
    cache.set(sql, statement);
    return statement;
  }) as NativeDatabase['prepare'];
}

export interface LocalSqlite {
  db: Db;
  close(): void;
}

/** Opens `file` (already migrated, in WAL mode) for serving. */
export function openLocalSqlite(file: string, busyTimeoutMs: number): LocalSqlite {
  const database = new Database(file);
  try {
    database.exec(`PRAGMA busy_timeout = ${Math.trunc(busyTimeoutMs)}`);
    // As D1 does: the schema's cascades and references hold.
    database.exec('PRAGMA foreign_keys = ON');
    keepStatementsPrepared(database);
    // drizzle's better-sqlite3 session over `libsql`, which implements the API it calls. Built
    // here because the driver's entry imports better-sqlite3 itself (a native build not installed).
    // No relational schema: the app writes every query with the builders.
    const dialect = new SQLiteSyncDialect({ casing: drizzleOptions.casing });
    const session = new BetterSQLiteSession(database as never, dialect, undefined);
    const sync = new BaseSQLiteDatabase('sync', dialect, session, undefined);
    const batch = async (items: readonly BatchItem<'sqlite'>[]) => {
      const prepared = items.map((item) => (item as unknown as PreparableItem)._prepare());
      const run = () => prepared.map((query) => query.execute().sync());
      // A batch that writes takes the write lock at BEGIN, so a read-then-write batch can never
      // fail to upgrade (SQLITE_BUSY_SNAPSHOT) because another process wrote in between; it waits
      // instead. One that only reads (a session check, then what it guards) runs without BEGIN …
      // COMMIT (two statements, ~10% of a small read): nothing in this process can run between
      // its statements, and a write from another process in between is indistinguishable from
      // one just before the request.
      const writes = prepared.some((query) => !READ_ONLY.test(query.query.sql));
      return writes ? sync.transaction(run, { behavior: 'immediate' }) : run();
    };
    return { db: Object.assign(sync, { batch }) as unknown as Db, close: () => database.close() };
  } catch (err) {
    database.close();
    throw err;
  }
}
