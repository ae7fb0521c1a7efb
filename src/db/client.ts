import { sql } from 'drizzle-orm';
import type { BatchItem, BatchResponse } from 'drizzle-orm/batch';
import { drizzle as drizzleD1 } from 'drizzle-orm/d1';
import type { BaseSQLiteDatabase } from 'drizzle-orm/sqlite-core';
import * as schema from './schema';

export type Schema = typeof schema;

/**
 * The database as the services see it: drizzle over SQLite with an all-or-nothing `batch()`.
 * D1 and libsql both fit, so services and queries are the same on every runtime.
 */
export type Db = BaseSQLiteDatabase<'async', unknown, Schema> & {
  batch<U extends BatchItem<'sqlite'>, T extends Readonly<[U, ...U[]]>>(batch: T): Promise<BatchResponse<T>>;
};

/** `casing` must match drizzle.config.ts. */
export const drizzleOptions = { schema, casing: 'snake_case' } as const;

export function d1Database(binding: D1Database): Db {
  return drizzleD1(binding, drizzleOptions) as unknown as Db;
}

/** The cheapest statement that proves the database answers. */
export const ping = async (db: Db): Promise<void> => {
  // Awaited inside: a synchronous driver (local-sqlite.ts) throws at once, and that must reject.
  await db.run(sql`SELECT 1`);
};
