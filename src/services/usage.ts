import { batchAround } from '../db/batch';
import { sessionRow } from '../db/session-queries';
import {
  daysBetween,
  requestsBetween,
  type StorageSort,
  storagePage,
  usageOf,
  usageUpserts,
} from '../db/usage-queries';
import { userById } from '../db/user-queries';
import type { Session } from '../lib/session';
import { assertAdmin, noSuchUser } from './admin';
import { decodePageCursor, encodePageCursor } from './cursor';
import type { ServiceDeps } from './deps';
import { InvalidInput } from './errors';
import { type StoredUsage, storedUsage } from './quota';
import { checkSession } from './session';
import type { TimeRange } from './time-filters';

const DAY_MS = 86_400_000;
/** Days in a series when `from` is not given. */
export const DEFAULT_DAYS = 30;
/** Longest series one request may ask for. */
export const MAX_DAYS = 366;

export const utcDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** The UTC days a range covers, inclusive; by default the last 30 days up to today. */
export function seriesDays(range: TimeRange, now: number): { from: string; to: string } {
  const last = range.until !== undefined ? range.until - 1 : now;
  const first = range.from ?? last - (DEFAULT_DAYS - 1) * DAY_MS;
  const from = utcDate(first);
  const to = utcDate(last);
  if (from > to) {
    throw new InvalidInput('from must not be after to.', [
      { name: 'from', in: 'query', message: 'from must not be after to' },
    ]);
  }
  const span = (Date.parse(to) - Date.parse(from)) / DAY_MS + 1;
  if (span > MAX_DAYS) {
    throw new InvalidInput(`A series covers at most ${MAX_DAYS} days; this one would cover ${span}.`, [
      { name: 'from', in: 'query', message: `At most ${MAX_DAYS} days from to` },
    ]);
  }
  return { from, to };
}

export interface DayUsage {
  date: string;
  requests: number;
  requestsByOperation: Record<string, number>;
  bytesUploaded: number;
  bytesDownloaded: number;
  uploadsRefused: number;
}

export interface UsageReport {
  userId: number;
  from: string;
  to: string;
  storage: StoredUsage;
  totals: Omit<DayUsage, 'date'>;
  days: DayUsage[];
}

const emptyDay = (date: string): DayUsage => ({
  date,
  requests: 0,
  requestsByOperation: {},
  bytesUploaded: 0,
  bytesDownloaded: 0,
  uploadsRefused: 0,
});

/**
 * One round trip: the session, this isolate's not-yet-written counts (written here, in the same
 * batch, so they are counted exactly once), then the stored figures as they now are.
 */
async function report(
  deps: Pick<ServiceDeps, 'db' | 'config' | 'clock' | 'usage'>,
  session: Session,
  subjectId: number,
  range: TimeRange,
  admin: boolean,
) {
  const { db } = deps;
  const { from, to } = seriesDays(range, deps.clock().getTime());
  const reserved = await deps.usage?.reserve();
  const batch = Promise.resolve().then(() =>
    batchAround(db, [sessionRow(db, session)], usageUpserts(db, reserved?.counts ?? []), [
      userById(db, subjectId),
      usageOf(db, subjectId),
      daysBetween(db, subjectId, from, to),
      requestsBetween(db, subjectId, from, to),
    ]),
  );
  // Registered before the await below, so the reservation settles first either way.
  batch.then(
    () => reserved?.done(false),
    () => reserved?.done(true),
  );
  const [[sessionRows], [subject, usage, dayRows, requestRows]] = await batch;
  const user = checkSession(sessionRows, session);
  if (admin) assertAdmin(user);
  if (!subject[0]) throw noSuchUser();

  const byDate = new Map<string, DayUsage>();
  const dayOf = (date: string) => {
    let d = byDate.get(date);
    if (!d) {
      d = emptyDay(date);
      byDate.set(date, d);
    }
    return d;
  };
  for (const r of dayRows) {
    const d = dayOf(r.day);
    d.bytesUploaded = r.bytesUploaded;
    d.bytesDownloaded = r.bytesDownloaded;
    d.uploadsRefused = r.uploadsRefused;
  }
  for (const r of requestRows) {
    const d = dayOf(r.day);
    d.requestsByOperation[r.operation] = r.count;
    d.requests += r.count;
  }
  const days = [...byDate.values()].sort((a, b) => a.date.localeCompare(b.date));
  const { date: _, ...totals } = emptyDay('');
  for (const d of days) {
    totals.requests += d.requests;
    totals.bytesUploaded += d.bytesUploaded;
    totals.bytesDownloaded += d.bytesDownloaded;
    totals.uploadsRefused += d.uploadsRefused;
    for (const [op, n] of Object.entries(d.requestsByOperation)) {
      totals.requestsByOperation[op] = (totals.requestsByOperation[op] ?? 0) + n;
    }
  }
  return { userId: subjectId, from, to, storage: storedUsage(usage[0], deps.config), totals, days };
}

/** The caller's own usage. */
export const ownUsage = (
  deps: Pick<ServiceDeps, 'db' | 'config' | 'clock' | 'usage'>,
  session: Session,
  range: TimeRange,
): Promise<UsageReport> => report(deps, session, session.userId, range, false);

/** Any user's usage, for operators. */
export const userUsageForAdmin = (
  deps: Pick<ServiceDeps, 'db' | 'config' | 'clock' | 'usage'>,
  session: Session,
  userId: number,
  range: TimeRange,
): Promise<UsageReport> => report(deps, session, userId, range, true);

export interface StorageListing {
  items: { userId: number; email: string; storage: StoredUsage }[];
  nextCursor: string | null;
}

/** Every user's stored totals, for operators: one page, most bytes (or images) first, or by id. */
export async function listStorage(
  deps: Pick<ServiceDeps, 'db' | 'config' | 'clock' | 'usage'>,
  session: Session,
  input: { sort: StorageSort; limit: number; cursor?: string },
): Promise<StorageListing> {
  // The same opaque (non-negative number, id) pair as image pages.
  const decoded = input.cursor === undefined ? undefined : decodePageCursor(input.cursor);
  if (input.cursor !== undefined && !decoded) {
    throw new InvalidInput('The cursor is not one this server issued.', [
      { name: 'cursor', in: 'query', message: 'Invalid cursor' },
    ]);
  }
  const after = decoded && { value: decoded.createdAt, id: decoded.id };
  const [sessionRows, rows] = await deps.db.batch([
    sessionRow(deps.db, session),
    storagePage(deps.db, input.sort, after, input.limit + 1),
  ]);
  assertAdmin(checkSession(sessionRows, session));
  const page = rows.slice(0, input.limit);
  const last = page.at(-1);
  const value = (r: (typeof rows)[number]) =>
    input.sort === 'images' ? r.imagesCount : input.sort === 'bytes' ? r.bytesStored : 0;
  return {
    items: page.map((r) => ({ userId: r.userId, email: r.email, storage: storedUsage(r, deps.config) })),
    nextCursor:
      rows.length > input.limit && last ? encodePageCursor({ createdAt: value(last), id: last.userId }) : null,
  };
}
