/**
 * The metadata store for Node and Bun: SQLite through libsql, with the same drizzle options and
 * the same `drizzle/` migrations as D1. `batch()` is all-or-nothing on both, so services are
 * identical. A `file:` URL is a local database (migrated through `@libsql/client`, then served
 * through the runtime's synchronous driver, local-sqlite.ts); a `libsql:`/`http(s):`/`ws(s):`
 * URL a remote sqld, or a sqld replica when `primaryUrl` names its primary (sqld-replica.ts).
 * Migrations are applied so that several servers may start at once (migrate.ts).
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Client, createClient } from '@libsql/client';
import { drizzle } from 'drizzle-orm/libsql';
import { type Db, drizzleOptions } from './client';
import { openLocalSqlite } from './local-sqlite';
import { applyMigrations } from './migrate';
import { repairMalformedText } from './repair-text';
import { replicaFetch } from './sqld-replica';

/** How long a writer waits for another process's lock before failing with SQLITE_BUSY. */
export const BUSY_TIMEOUT_MS = 5_000;

/** The migrations drizzle-kit generates, found from this file so the working directory does not matter. */
export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../../drizzle', import.meta.url));

export interface LibsqlDatabase {
  db: Db;
  client: Client;
  /** Where a local database lives, for the log and backups; undefined for remote and in-memory ones. */
  file: string | undefined;
  close(): void;
}

/**
 * The path of a local `file:` URL (`file:./data/x.db`, `file:/abs/x.db`, `file:///abs/x.db`),
 * `null` for an in-memory one and `undefined` for a remote URL.
 */
export function localDatabasePath(url: string): string | null | undefined {
  if (!/^file:/i.test(url)) return undefined;
  let path = url.slice('file:'.length).replace(/[?#].*$/, '');
  if (path.startsWith('//')) path = path.replace(/^\/\/(localhost)?/i, '');
  if (path === '' || path.startsWith(':memory:')) return null;
  return resolve(decodeURIComponent(path));
}

export interface OpenLibsqlOptions {
  url: string;
  /**
   * Serve a local file through the runtime's synchronous driver (local-sqlite.ts: `libsql`'s
   * native one on Node, `bun:sqlite` on Bun) instead of `@libsql/client`, the default on both;
   * remote and in-memory databases always use the client.
   */
  serveSynchronously?: boolean;
  authToken?: string;
  /** When `url` is a sqld replica: its primary, asked before each read so reads are current. */
  primaryUrl?: string;
  migrationsFolder?: string;
}

/** The same sqld over HTTP (`libsql://` already is, on Node and Bun). */
const overHttp = (url: string) => url.replace(/^wss:/i, 'https:').replace(/^ws:/i, 'http:');

/** Opens the database, switches a local file to WAL and applies pending migrations. */
export async function openLibsql({
  url,
  authToken,
  primaryUrl,
  migrationsFolder = MIGRATIONS_FOLDER,
  serveSynchronously = true,
}: OpenLibsqlOptions): Promise<LibsqlDatabase> {
  const file = localDatabasePath(url);
  if (file) mkdirSync(dirname(file), { recursive: true });
  const client = createClient({
    // The replica's reads are amended in `fetch`, which only the HTTP protocol goes through.
    url: primaryUrl ? overHttp(url) : url,
    ...(authToken ? { authToken } : {}),
    ...(primaryUrl ? { fetch: replicaFetch({ primaryUrl, ...(authToken ? { authToken } : {}) }) } : {}),
    // For local files `timeout` is SQLite's busy timeout, set on every pooled connection.
    ...(file !== undefined ? { timeout: BUSY_TIMEOUT_MS } : {}),
  });
  try {
    if (file) {
      // Persistent in the file: readers never block the writer, and other processes may read.
      const mode = await client.execute('PRAGMA journal_mode = WAL');
      const journal = String(mode.rows[0]?.[0] ?? '').toLowerCase();
      if (journal !== 'wal') throw new Error(`Could not switch ${file} to WAL mode (got ${journal || 'nothing'})`);
    }
    const db = drizzle(client, drizzleOptions);
    await applyMigrations(client, migrationsFolder);
    await repairMalformedText(client);
    if (file && serveSynchronously) {
      // Migrated and repaired through the client; served through the faster synchronous driver.
      const local = await openLocalSqlite(file, BUSY_TIMEOUT_MS);
      return {
        db: local.db,
        client,
        file,
        close: () => {
          local.close();
          client.close();
        },
      };
    }
    return { db: db as unknown as Db, client, file: file ?? undefined, close: () => client.close() };
  } catch (err) {
    client.close();
    throw err;
  }
}
