import type { BatchItem, BatchResponse } from 'drizzle-orm/batch';
import type { Db } from './client';

/** A statement a batch can run: any drizzle query builder over SQLite. */
export type Statement = BatchItem<'sqlite'>;

/**
 * `db.batch` types its results by position only when it is given a tuple literal. A batch whose
 * middle varies in length (tag writes, pending usage counts) loses that, so this runs `reads`,
 * then `writes`, then `checks` in one all-or-nothing batch (one round trip) and returns the
 * results of the first and last groups, each typed by position; the writes' results are dropped.
 */
export async function batchAround<const R extends readonly Statement[], const C extends readonly Statement[]>(
  db: Db,
  reads: R,
  writes: readonly Statement[],
  checks: C,
): Promise<[BatchResponse<R>, BatchResponse<C>]> {
  const [first, ...rest] = [...reads, ...writes, ...checks];
  if (!first) return [[], []] as unknown as [BatchResponse<R>, BatchResponse<C>];
  const results: readonly unknown[] = await db.batch([first, ...rest]);
  // Sound by construction: the groups went in in this order and a batch answers one result each.
  return [
    results.slice(0, reads.length) as BatchResponse<R>,
    results.slice(results.length - checks.length) as BatchResponse<C>,
  ];
}

/** Writes whose number varies, all or nothing in one batch; nothing to do for none. */
export async function runAll(db: Db, writes: readonly Statement[]): Promise<void> {
  await batchAround(db, [], writes, []);
}
