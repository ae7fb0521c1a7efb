/**
 * The serving connection for a local `file:` database on Node and Bun: the runtime's synchronous
 * SQLite driver behind the same drizzle `Db` as D1 and remote libsql. On Node that is libsql's
 * native driver (the better-sqlite3 API, in the `libsql` package that `@libsql/client` itself
 * runs on) under drizzle's better-sqlite3 session; on Bun it is `bun:sqlite` under drizzle's
 * bun-sqlite session. On this project's one-statement image read, with the statement prepared
 * once, each is several times faster than `@libsql/client` (docs/performance-notes.md has the
 * measurements).
 *
 * drizzle's synchronous drivers have no `batch()`, and every write here relies on one, so
 * `batch` runs its statements in one synchronous transaction (shared with the other write
 * batches of the same turn: groupCommits): nothing else can run on this connection meanwhile,
 * and any failure rolls all of it back — what D1's batch guarantees.
 */

import type { BatchItem } from 'drizzle-orm/batch';
import { BetterSQLiteSession } from 'drizzle-orm/better-sqlite3/session';
import { SQLiteBunSession } from 'drizzle-orm/bun-sqlite/session';
import { BaseSQLiteDatabase, SQLiteSyncDialect } from 'drizzle-orm/sqlite-core';
import LibsqlDatabase from 'libsql';
import { type Db, drizzleOptions } from './client';

/** Statements kept prepared, by SQL text: every route's SQL is a handful of fixed texts. */
const STATEMENT_CACHE = 500;

/** What this module calls on either native database; drizzle's sessions call the rest. */
interface NativeDatabase<S> {
  prepare(sql: string): S;
  exec(sql: string): void;
  close(): void;
}

/** `bun:sqlite` as used here; declared rather than taken from Bun's types, which are not installed. */
interface BunSqliteModule {
  Database: new (file: string) => NativeDatabase<object>;
}

type LibsqlStatement = ReturnType<InstanceType<typeof LibsqlDatabase>['prepare']>;

type SyncSession = ConstructorParameters<typeof BaseSQLiteDatabase<'sync', unknown>>[2];

/** One runtime's synchronous driver: its database, drizzle's session for it, how a kept statement is reused. */
interface Driver<S> {
  database: NativeDatabase<S>;
  session(dialect: SQLiteSyncDialect): SyncSession;
  /** Readies a kept statement to be handed to drizzle again. */
  reuse(statement: S): void;
}

// A variable, so Vite and tsc leave the specifier alone: only Bun can resolve it.
const BUN_SQLITE = 'bun:sqlite';

async function openDriver(file: string): Promise<Driver<object>> {
  if ('bun' in process.versions) {
    const { Database } = (await import(/* @vite-ignore */ BUN_SQLITE)) as BunSqliteModule;
    const database = new Database(file);
    return {
      database,
      // The session's d.ts takes bun:sqlite's own `Database`, whose types are not installed.
      session: (dialect) => new SQLiteBunSession(database as never, dialect, undefined),
      // bun:sqlite has no raw mode to undo: drizzle asks for rows as arrays with `values()`,
      // a method of its own, so the statement holds no state between calls.
      reuse: () => {},
    };
  }
  const database = new LibsqlDatabase(file);
  return {
    database,
    // drizzle's better-sqlite3 session over `libsql`, which implements the API it calls. Built
    // here because the driver's entry imports better-sqlite3 itself (a native build not installed).
    session: (dialect) => new BetterSQLiteSession(database as never, dialect, undefined),
    // drizzle switches a statement to raw rows (`raw()`) when it maps columns itself, and that
    // sticks to the statement: a kept one is switched back before drizzle gets it again.
    reuse: (statement) => {
      const s = statement as LibsqlStatement;
      if (s.reader) s.raw(false);
    },
  };
}

/** What drizzle's batch gets from each item: the query prepared for this connection. */
interface PreparableItem {
  _prepare(): { query: { sql: string }; execute(): { sync(): unknown } };
}

/** Statements that only read: drizzle's selects (`with … select` included). */
const READ_ONLY = /^\s*(?:select|with)\b/i;

/**
 * drizzle prepares each query anew; SQLite's prepare is most of a small read's cost, so the
 * connection keeps prepared statements by their SQL (they are reused one at a time: both drivers
 * are synchronous).
 */
function keepStatementsPrepared<S>({ database, reuse }: Driver<S>): void {
  const prepare = database.prepare.bind(database);
  const cache = new Map<string, S>();
  database.prepare = (sql: string) => {
    const kept = cache.get(sql);
    if (kept) {
      reuse(kept);
      return kept;
    }
    const statement = prepare(sql);
    if (cache.size >= STATEMENT_CACHE) cache.delete(cache.keys().next().value as string);
    cache.set(sql, statement);
    return statement;
  };
}

/** Write batches sharing one commit at most; bounds how long one transaction holds the write lock. */
const MAX_GROUP = 64;

interface WaitingBatch {
  run(): unknown[];
  resolve(results: unknown[]): void;
  reject(err: unknown): void;
}

/**
 * Group commit. A write batch is not committed on its own: those that arrive in the same turn of
 * the event loop (under load, the uploads whose files finished meanwhile) run in one `BEGIN
 * IMMEDIATE … COMMIT`, each inside its own savepoint, so each is still all or nothing and fails
 * alone. With `synchronous = FULL` every commit waits for an fsync of the WAL on this thread, so
 * concurrent uploads committing alone would each wait for their own; sharing one cuts that
 * wait (docs/performance-notes.md). No batch is answered before the commit that holds it:
 * durability is unchanged, and a batch that waits gives up at most one turn of the loop.
 */
function groupCommits(database: NativeDatabase<unknown>) {
  const waiting: WaitingBatch[] = [];
  let scheduled = false;

  function commit(): void {
    scheduled = false;
    const group = waiting.splice(0, MAX_GROUP);
    if (waiting.length) schedule();
    if (group.length === 0) return;
    // Each batch's answer, given only once the commit holding it has returned.
    const answers: (() => void)[] = [];
    try {
      // IMMEDIATE: the write lock is taken at BEGIN, so a read-then-write batch can never fail to
      // upgrade (SQLITE_BUSY_SNAPSHOT) because another process wrote in between; it waits instead.
      database.exec('BEGIN IMMEDIATE');
      for (const batch of group) {
        database.exec('SAVEPOINT batch');
        try {
          const results = batch.run();
          database.exec('RELEASE batch');
          answers.push(() => batch.resolve(results));
        } catch (err) {
          // These throw in turn when SQLite has already rolled the whole transaction back (an
          // I/O error, say): then nothing of the group stands, and all of it fails below.
          database.exec('ROLLBACK TO batch');
          database.exec('RELEASE batch');
          answers.push(() => batch.reject(err));
        }
      }
      database.exec('COMMIT');
    } catch (err) {
      try {
        database.exec('ROLLBACK');
      } catch {
        // no transaction left to roll back (BEGIN itself failed, or SQLite rolled back already)
      }
      for (const batch of group) batch.reject(err);
      return;
    }
    for (const answer of answers) answer();
  }

  function schedule(): void {
    if (scheduled) return;
    scheduled = true;
    setImmediate(commit);
  }

  return {
    /** Runs `run` in the next group commit; resolves with its results once they are durable. */
    add(run: () => unknown[]): Promise<unknown[]> {
      return new Promise((resolve, reject) => {
        waiting.push({ run, resolve, reject });
        schedule();
      });
    },
    /** Commits what is waiting now (before the database closes). */
    flush(): void {
      while (waiting.length) commit();
    },
  };
}

export interface LocalSqlite {
  db: Db;
  close(): void;
}

/** Opens `file` (already migrated, in WAL mode) for serving, with this runtime's synchronous driver. */
export async function openLocalSqlite(file: string, busyTimeoutMs: number): Promise<LocalSqlite> {
  const driver = await openDriver(file);
  const { database } = driver;
  try {
    database.exec(`PRAGMA busy_timeout = ${Math.trunc(busyTimeoutMs)}`);
    // As D1 does: the schema's cascades and references hold.
    database.exec('PRAGMA foreign_keys = ON');
    keepStatementsPrepared(driver);
    // No relational schema: the app writes every query with the builders.
    const dialect = new SQLiteSyncDialect({ casing: drizzleOptions.casing });
    const sync = new BaseSQLiteDatabase('sync', dialect, driver.session(dialect), undefined);
    const commits = groupCommits(database);
    const batch = async (items: readonly BatchItem<'sqlite'>[]) => {
      const prepared = items.map((item) => (item as unknown as PreparableItem)._prepare());
      const run = () => prepared.map((query) => query.execute().sync());
      // One that only reads (a session check, then what it guards) runs at once: BEGIN … COMMIT
      // would be two more statements, a visible share of a small read. Nothing in this process
      // can run between its statements, and a write from another process in between is
      // indistinguishable from one just before the request.
      const writes = prepared.some((query) => !READ_ONLY.test(query.query.sql));
      return writes ? commits.add(run) : run();
    };
    return {
      db: Object.assign(sync, { batch }) as unknown as Db,
      close: () => {
        commits.flush();
        database.close();
      },
    };
  } catch (err) {
    database.close();
    throw err;
  }
}
