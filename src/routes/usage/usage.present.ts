import type { StoredUsage } from '../../services/quota';
import type { UsageReport } from '../../services/usage';

// The usage report and the storage standing, as the user sees them here and an operator sees
// them on the admin routes (which present through this module too).

export const presentStorage = (u: StoredUsage) => ({
  images_count: u.imagesCount,
  bytes_stored: u.bytesStored,
  limits: { max_bytes: u.maxBytes, max_images: u.maxImages },
  override: { max_bytes: u.override.maxBytes, max_images: u.override.maxImages },
});

const presentCounters = (t: UsageReport['totals']) => ({
  requests: t.requests,
  requests_by_operation: t.requestsByOperation,
  bytes_uploaded: t.bytesUploaded,
  bytes_downloaded: t.bytesDownloaded,
  uploads_refused: t.uploadsRefused,
});

export const presentReport = (r: UsageReport) => ({
  user_id: r.userId,
  from: r.from,
  to: r.to,
  storage: presentStorage(r.storage),
  totals: presentCounters(r.totals),
  days: r.days.map((d) => ({ date: d.date, ...presentCounters(d) })),
});
