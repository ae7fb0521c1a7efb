import type { Session } from '../auth/token';
import type { SessionRow } from '../db/session-queries';
import { setQuota } from '../db/usage-queries';
import type { Deps } from '../deps';
import { Forbidden, NotFound } from './errors';
import { type StoredUsage, storedUsage } from './quota';
import { currentUser } from './session';

/** Operators are the users whose email is in ADMIN_EMAILS; everyone else is Forbidden. */
export function assertAdmin(deps: Pick<Deps, 'config'>, user: Pick<SessionRow, 'email'>): void {
  if (!deps.config.adminEmails.includes(user.email)) {
    throw new Forbidden('Only operators (ADMIN_EMAILS) may use the admin API.');
  }
}

export const noSuchUser = () => new NotFound('No such user.');

/** Sets a user's quota overrides (null: the QUOTA_MAX_* setting; 0: unlimited). */
export async function setUserQuota(
  deps: Pick<Deps, 'db' | 'config'>,
  session: Session,
  userId: number,
  quota: { maxBytes: number | null; maxImages: number | null },
): Promise<StoredUsage> {
  // Two calls: who asks, then the write. Rare, and the write must not run for a non-operator.
  assertAdmin(deps, await currentUser(deps, session));
  const [row] = await setQuota(deps.db, userId, quota);
  if (!row) throw noSuchUser();
  return storedUsage(row, deps.config);
}
