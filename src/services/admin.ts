import type { SessionRow } from '../db/session-queries';
import { setQuota } from '../db/usage-queries';
import { listOperators, setOperatorFlag } from '../db/user-queries';
import type { Session } from '../lib/session';
import { normalizeEmail } from './accounts';
import type { ServiceDeps } from './deps';
import { Forbidden, NotFound } from './errors';
import { type StoredUsage, storedUsage } from './quota';
import { currentUser } from './session';

/**
 * Operators are the users an operator action marked (`users.is_operator`: scripts/operator.ts,
 * or SQL on D1); everyone else is Forbidden. Registering an address proves nothing, so nothing
 * a request can do makes an operator.
 */
export function assertAdmin(user: Pick<SessionRow, 'isOperator'>): void {
  if (!user.isOperator) throw new Forbidden('Only operators may use the admin API.');
}

/** Grants or revokes operator rights; returns whether a user has this email. */
export async function setOperator(
  deps: Pick<ServiceDeps, 'db' | 'clock'>,
  email: string,
  operator: boolean,
): Promise<boolean> {
  const rows = await setOperatorFlag(deps.db, normalizeEmail(email), operator, deps.clock().getTime());
  return rows.length > 0;
}

/** The operators' emails, for the operator command's listing. */
export const operatorEmails = async (deps: Pick<ServiceDeps, 'db'>): Promise<string[]> =>
  (await listOperators(deps.db)).map((r) => r.email);

/** Logged at start-up when the retired ADMIN_EMAILS is still set: it grants nothing now. */
export const ADMIN_EMAILS_IGNORED =
  'ADMIN_EMAILS is set but grants nothing: operator rights come from an operator action. Grant them with ' +
  '`npm run operator -- grant <email>` (Node/Bun data), or on D1 with `npx wrangler d1 execute DB --remote ' +
  '--command "UPDATE users SET is_operator = 1 WHERE email = \'<email>\'"`, then remove ADMIN_EMAILS.';

export const noSuchUser = () => new NotFound('No such user.');

/** Sets a user's quota overrides (null: the QUOTA_MAX_* setting; 0: unlimited). */
export async function setUserQuota(
  deps: Pick<ServiceDeps, 'db' | 'config'>,
  session: Session,
  userId: number,
  quota: { maxBytes: number | null; maxImages: number | null },
): Promise<StoredUsage> {
  // Two calls: who asks, then the write. Rare, and the write must not run for a non-operator.
  assertAdmin(await currentUser(deps, session));
  const [row] = await setQuota(deps.db, userId, quota);
  if (!row) throw noSuchUser();
  return storedUsage(row, deps.config);
}
