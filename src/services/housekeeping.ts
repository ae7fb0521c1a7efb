/**
 * Housekeeping: removing stored bytes that no image row points at (left by an upload whose rows
 * failed, or a delete whose byte removal failed). Runs from the Workers cron (`scheduled` in
 * src/index.ts), from a timer in the Node/Bun server, or once by hand (`npm run sweep`).
 *
 * Each run does a bounded amount of work: at most `pages` store listings and twice as many
 * database queries, plus one read and one write of the saved cursor and one delete of variant
 * reservations left by a process that stopped mid-build. A Worker invocation has a cap on
 * D1 queries and subrequests, so listing a large bucket in one go would fail every run; instead
 * the next run resumes where the last one stopped, and a full pass spans as many runs as needed.
 */
import { readHousekeeping, writeHousekeeping } from '../db/housekeeping-queries';
import { referencedKeys } from '../db/images/queries';
import { deleteStaleReservations, referencedVariantKeys } from '../db/variant-queries';
import type { ServiceDeps } from './deps';
import { imageKeyOfVariant } from './variants/identity';

/** Where the current pass over the store stopped (a store list cursor). */
export const SWEEP_CURSOR_KEY = 'sweep.cursor';
/** Bytes younger than this may belong to an upload whose rows are being written. */
export const SWEEP_GRACE_MS = 60 * 60 * 1000;
/** Per run: 10 listings of 1,000 keys, 20 D1 queries (+3), at most 10 deletes. */
export const SWEEP_PAGES_PER_RUN = 10;
export const SWEEP_PAGE_SIZE = 1000;

export interface SweepOptions {
  graceMs?: number;
  /** Store listings in this run. */
  pages?: number;
  /** Keys per listing (R2 returns at most 1,000). */
  pageSize?: number;
}

export interface SweepResult {
  /** Keys looked at in this run. */
  scanned: number;
  deleted: number;
  pages: number;
  /** True when this run reached the end of the store: the next one starts a new pass. */
  passComplete: boolean;
}

/** Removes stored bytes that no row points at and that are older than the grace period. */
export async function sweepOrphanBytes(
  deps: Pick<ServiceDeps, 'db' | 'store' | 'clock' | 'logger'>,
  options: SweepOptions = {},
): Promise<SweepResult> {
  const { graceMs = SWEEP_GRACE_MS, pages = SWEEP_PAGES_PER_RUN, pageSize = SWEEP_PAGE_SIZE } = options;
  const now = deps.clock().getTime();
  const cutoff = now - graceMs;
  const saved = await readHousekeeping(deps.db, SWEEP_CURSOR_KEY);
  let cursor = saved;
  const result: SweepResult = { scanned: 0, deleted: 0, pages: 0, passComplete: false };

  while (result.pages < pages) {
    let page: Awaited<ReturnType<Pick<ServiceDeps, 'db' | 'store' | 'clock' | 'logger'>['store']['list']>>;
    try {
      page = await deps.store.list({ cursor, limit: pageSize });
    } catch (err) {
      // A saved cursor the store no longer accepts must not wedge every later run: start over.
      // If the store itself is failing, the retry fails too and the run reports it.
      if (result.pages > 0 || cursor === undefined) throw err;
      deps.logger.warn('housekeeping cursor refused by the store; starting a new pass', { error: String(err) });
      cursor = undefined;
      page = await deps.store.list({ limit: pageSize });
    }
    result.pages++;
    result.scanned += page.objects.length;
    const old = page.objects.filter((o) => o.uploaded.getTime() < cutoff).map((o) => o.key);
    if (old.length) {
      // A variant is kept while its row is (stored or being made): the row is what its owner's
      // total counts, so bytes without one are not counted anywhere and go.
      const variants = old.filter((k) => imageKeyOfVariant(k) !== undefined);
      const originals = old.filter((k) => imageKeyOfVariant(k) === undefined);
      const kept = new Set([
        ...(originals.length ? await referencedKeys(deps.db, originals) : []).map((r) => r.key),
        ...(variants.length ? await referencedVariantKeys(deps.db, variants) : []).map((r) => r.key),
      ]);
      const orphans = old.filter((k) => !kept.has(k));
      if (orphans.length) {
        await deps.store.delete(orphans);
        result.deleted += orphans.length;
      }
    }
    cursor = page.cursor;
    if (cursor === undefined) {
      result.passComplete = true;
      break;
    }
  }

  if (cursor !== saved) await writeHousekeeping(deps.db, SWEEP_CURSOR_KEY, cursor, now);
  // A reservation outlives its request only when the process stopped mid-build; its bytes, if
  // any were written, are swept as orphans once the row is gone.
  await deleteStaleReservations(deps.db, cutoff);
  if (result.deleted) deps.logger.info('swept orphan image bytes', { ...result });
  return result;
}
