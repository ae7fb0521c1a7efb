import { ping } from '../db/client';
import { UnavailableError } from '../lib/unavailable';
import type { ServiceDeps } from './deps';

export type Dependency = 'database' | 'store';

/**
 * Whether the database and the image store answer: `SELECT 1` and the store's cheap probe, run
 * side by side. Returns the dependencies that failed (empty when healthy); the reasons go to the
 * log only.
 */
export async function checkHealth(deps: Pick<ServiceDeps, 'db' | 'store' | 'logger'>): Promise<Dependency[]> {
  const checks: [Dependency, Promise<unknown>][] = [
    ['database', ping(deps.db)],
    ['store', deps.store.ping()],
  ];
  const results = await Promise.allSettled(checks.map(([, check]) => check));
  const failed: Dependency[] = [];
  results.forEach((result, i) => {
    const name = checks[i]?.[0];
    if (result.status === 'fulfilled' || !name) return;
    failed.push(name);
    // The guarded store wraps what failed: log the underlying reason too.
    const reason: unknown = result.reason;
    const cause = reason instanceof Error && reason.cause !== undefined ? `; cause: ${String(reason.cause)}` : '';
    deps.logger.warn('health check failed', { dependency: name, error: `${String(reason)}${cause}` });
  });
  return failed;
}

/** Resolves when both dependencies answer; otherwise an `UnavailableError` naming those that did not. */
export async function confirmHealthy(deps: Pick<ServiceDeps, 'db' | 'store' | 'logger'>): Promise<void> {
  const failed = await checkHealth(deps);
  const named = failed.map((d) => (d === 'store' ? 'image store' : d));
  if (named.length) throw new UnavailableError(named, false);
}
