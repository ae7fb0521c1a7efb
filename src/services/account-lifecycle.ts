/**
 * Changing an account's password or email, exporting it, and deleting it. Each change confirms
 * the password under the login throttle (accounts.confirmPassword) and is written only while the
 * session is still live, in the statement that writes.
 */
import { hashPassword } from '../auth/password';
import { type IssuedToken, issueToken } from '../auth/token';
import {
  accountState,
  cutOutsideAccess,
  deleteKeysAfterPasswordChange,
  imagesToRemove,
  markDeleting,
  removeAccountRows,
  removeImages,
  replaceEmail,
  replacePassword,
  unfinishedDeletions,
} from '../db/account-queries';
import type { UserRow } from '../db/schema';
import type { Session } from '../lib/session';
import { confirmPassword, normalizeEmail } from './accounts';
import type { ServiceDeps } from './deps';
import { Conflict, isUniqueViolation, Unauthenticated } from './errors';
import { accountCounterKey } from './login-throttle';
import { currentUser } from './session';

export interface Client {
  address: string | undefined;
  deviceCookie: string | undefined;
}

export interface Secrets {
  secret: string;
  ttlSeconds: number;
}

const SESSION_ENDED = 'The session has ended: log in again.';

/**
 * New password: every token of the account ends (the version moves on) and the caller gets a
 * fresh one; API keys stay unless `revokeApiKeys`.
 */
export async function changePassword(
  deps: Pick<ServiceDeps, 'db' | 'clock'>,
  secrets: Secrets,
  session: Session,
  input: { currentPassword: string; newPassword: string; revokeApiKeys: boolean },
  client: Client,
): Promise<IssuedToken> {
  const user = await currentUser(deps, session);
  await confirmPassword(deps, secrets.secret, user, input.currentPassword, client);
  const hash = await hashPassword(input.newPassword);
  const update = replacePassword(deps.db, user.id, user.tokenVersion, hash, deps.clock().getTime());
  const [changed] = input.revokeApiKeys
    ? await deps.db.batch([update, deleteKeysAfterPasswordChange(deps.db, user.id, user.tokenVersion + 1)])
    : [await update];
  const row = changed[0];
  // Another request ended this session (logout, another change) since it was checked.
  if (!row) throw new Unauthenticated(SESSION_ENDED);
  return issueToken(
    secrets.secret,
    { userId: user.id, tokenVersion: row.tokenVersion },
    secrets.ttlSeconds,
    deps.clock(),
  );
}

/** New email, normalised as at registration; 409 when another account has it. */
export async function changeEmail(
  deps: Pick<ServiceDeps, 'db' | 'clock'>,
  secret: string,
  session: Session,
  input: { password: string; email: string },
  client: Client,
): Promise<UserRow> {
  const user = await currentUser(deps, session);
  await confirmPassword(deps, secret, user, input.password, client);
  try {
    const [row] = await replaceEmail(
      deps.db,
      user.id,
      user.tokenVersion,
      normalizeEmail(input.email),
      deps.clock().getTime(),
    );
    if (!row) throw new Unauthenticated(SESSION_ENDED);
    return row;
  } catch (err) {
    if (isUniqueViolation(err)) throw new Conflict('An account with this email already exists.');
    throw err;
  }
}

// ---- deletion -------------------------------------------------------------------------------

/** Images removed per batch (their bytes in one store call), and batches per call. */
export const DELETE_PAGE_IMAGES = 50;
export const DELETE_PAGES_PER_CALL = 10;

export interface DeleteBudget {
  pageImages?: number;
  pages?: number;
}

export interface DeleteOutcome {
  /** False: images remain, call again. */
  done: boolean;
}

/**
 * Deletes the account. The first call marks it (no token or login works from then on; its keys
 * and share links go at once), then removes images in bounded batches, bytes before rows, and
 * finally the rest of its rows. Each call does a bounded amount of work: `done: false` means
 * call again. A call that fails midway leaves a marked account whose remaining images are still
 * counted exactly; the same request again (the token it was marked with, and the password) or
 * housekeeping carries on from there.
 */
export async function deleteAccount(
  deps: Pick<ServiceDeps, 'db' | 'store' | 'clock' | 'logger'>,
  secret: string,
  session: Session,
  password: string,
  client: Client,
  budget: DeleteBudget = {},
): Promise<DeleteOutcome> {
  const [user] = await accountState(deps.db, session.userId);
  // Before the mark, the session's own version; after it, the version the mark moved on from.
  const live =
    user !== undefined &&
    session.kind !== 'key' &&
    (user.deletingAt === null
      ? user.tokenVersion === session.tokenVersion
      : user.tokenVersion === session.tokenVersion + 1);
  if (!user || !live) throw new Unauthenticated(SESSION_ENDED);
  await confirmPassword(deps, secret, user, password, client);
  if (user.deletingAt === null) {
    const [marked] = await deps.db.batch([
      markDeleting(deps.db, user.id, user.tokenVersion, deps.clock().getTime()),
      ...cutOutsideAccess(deps.db, user.id),
    ]);
    if (marked.length === 0) throw new Unauthenticated(SESSION_ENDED);
    deps.logger.info('account deletion started', { user_id: user.id });
  }
  return continueDeletion(deps, user.id, user.email, budget);
}

/** The bounded work of one call on an account already marked. */
export async function continueDeletion(
  deps: Pick<ServiceDeps, 'db' | 'store' | 'logger'>,
  userId: number,
  email: string,
  budget: DeleteBudget = {},
): Promise<DeleteOutcome> {
  const pageImages = budget.pageImages ?? DELETE_PAGE_IMAGES;
  const pages = budget.pages ?? DELETE_PAGES_PER_CALL;
  for (let batches = 0; ; batches++) {
    const page = await imagesToRemove(deps.db, userId, pageImages);
    if (page.length === 0) {
      const results = await deps.db.batch(removeAccountRows(deps.db, userId, await accountCounterKey(email)));
      if (results[7].length) deps.logger.info('account deleted', { user_id: userId });
      return { done: true };
    }
    if (batches >= pages) return { done: false };
    // Bytes first: if the rows' batch then fails, the rows are still there and still counted,
    // and the next call deletes the (already missing) bytes again and then the rows.
    const keys = page.flatMap((image) => [image.key, ...(JSON.parse(image.variantKeys) as string[])]);
    await deps.store.delete(keys);
    await deps.db.batch(
      removeImages(
        deps.db,
        userId,
        page.map((image) => image.id),
      ),
    );
  }
}

/** Housekeeping: carries on deletions begun at least `graceMs` ago whose requests did not finish. */
export async function finishAccountDeletions(
  deps: Pick<ServiceDeps, 'db' | 'store' | 'clock' | 'logger'>,
  options: { graceMs?: number; accounts?: number; budget?: DeleteBudget } = {},
): Promise<number> {
  const { graceMs = 5 * 60 * 1000, accounts = 5, budget } = options;
  const pending = await unfinishedDeletions(deps.db, deps.clock().getTime() - graceMs, accounts);
  let finished = 0;
  for (const { id } of pending) {
    const [user] = await accountState(deps.db, id);
    if (!user) continue;
    if ((await continueDeletion(deps, id, user.email, budget)).done) finished++;
  }
  return finished;
}
