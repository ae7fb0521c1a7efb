import type { Config } from '../config';
import type { QuotaDefaults, UsageRow } from '../db/usage-queries';
import { usageWithSession } from '../db/usage-queries';
import type { Session } from '../lib/session';
import type { ServiceDeps } from './deps';
import { QuotaExceeded } from './errors';
import { checkSession } from './session';

/** Where a user stands: what is stored, and the limits that apply (null = unlimited). */
export interface StoredUsage {
  imagesCount: number;
  bytesStored: number;
  maxImages: number | null;
  maxBytes: number | null;
  /** The operator's overrides as set (null: the default applies). */
  override: { maxImages: number | null; maxBytes: number | null };
}

export const quotaDefaults = (config: Pick<Config, 'quotaMaxBytes' | 'quotaMaxImages'>): QuotaDefaults => ({
  maxBytes: config.quotaMaxBytes,
  maxImages: config.quotaMaxImages,
});

const limit = (override: number | null | undefined, fallback: number) => {
  const value = override ?? fallback;
  return value === 0 ? null : value;
};

export function storedUsage(row: UsageRow | undefined, config: Pick<Config, 'quotaMaxBytes' | 'quotaMaxImages'>) {
  return {
    imagesCount: row?.imagesCount ?? 0,
    bytesStored: row?.bytesStored ?? 0,
    maxImages: limit(row?.maxImages, config.quotaMaxImages),
    maxBytes: limit(row?.maxBytes, config.quotaMaxBytes),
    override: { maxImages: row?.maxImages ?? null, maxBytes: row?.maxBytes ?? null },
  } satisfies StoredUsage;
}

/** Throws QuotaExceeded unless one more image of `size` bytes fits. The image count is judged first. */
export function assertFits(usage: StoredUsage, size: number): void {
  if (usage.maxImages !== null && usage.imagesCount + 1 > usage.maxImages) {
    throw new QuotaExceeded({ limit: 'images', max: usage.maxImages, used: usage.imagesCount, requested: 1 });
  }
  if (usage.maxBytes !== null && usage.bytesStored + size > usage.maxBytes) {
    throw new QuotaExceeded({ limit: 'bytes', max: usage.maxBytes, used: usage.bytesStored, requested: size });
  }
}

/**
 * Before an upload stores its bytes: the session check and the quota check in one statement.
 * The insert batch judges the quota again (see `withinQuota`), so a race cannot get past it.
 */
export async function checkUploadQuota(deps: Pick<ServiceDeps, 'db' | 'config'>, session: Session, size: number) {
  const found = await usageWithSession(deps.db, session);
  checkSession(found.session, session);
  assertFits(storedUsage(found.usage, deps.config), size);
}
