import { newApiKey } from '../auth/api-key';
import { deleteKey, insertKey, keysOf, markKeyUsed } from '../db/key-queries';
import type { ApiKeyRow } from '../db/schema';
import { sessionRow } from '../db/session-queries';
import type { Session } from '../lib/session';
import { MAX_KEYS_PER_USER } from '../limits';
import type { ServiceDeps } from './deps';
import { Conflict, InvalidInput, NotFound } from './errors';
import { checkSession } from './session';

/** Longest lifetime a key may be given: ten years. */
export const MAX_KEY_LIFETIME_SECONDS = 10 * 365 * 24 * 60 * 60;
/** `last_used_at` is written at most this often per key. */
export const KEY_USE_RESOLUTION_MS = 60_000;

/** An API key as the services hand it out: its hash included, which presenters leave out. */
export type ApiKey = ApiKeyRow;

export type KeyScope = ApiKeyRow['scope'];

export interface NewKeyInput {
  name?: string;
  scope: KeyScope;
  /** Seconds from now. */
  expiresIn?: number;
  /** UTC ms. */
  expiresAt?: number;
}

/** Checked here rather than in the schema because "now" is the service's clock. */
function expiryOf(input: NewKeyInput, now: number): number | null {
  const at = input.expiresIn !== undefined ? now + input.expiresIn * 1000 : input.expiresAt;
  if (at === undefined) return null;
  const name = input.expiresIn !== undefined ? 'expires_in' : 'expires_at';
  if (at <= now || at > now + MAX_KEY_LIFETIME_SECONDS * 1000) {
    throw new InvalidInput(`The key must expire after now and within ${MAX_KEY_LIFETIME_SECONDS} seconds.`, [
      { name, in: 'body', message: 'Must be in the future and at most ten years away' },
    ]);
  }
  return at;
}

/** Creates a key; the returned `key` is the only time its secret exists outside the client. */
export async function createKey(
  deps: Pick<ServiceDeps, 'db' | 'clock'>,
  session: Session,
  input: NewKeyInput,
): Promise<{ row: ApiKeyRow; key: string }> {
  const now = deps.clock().getTime();
  const expiresAt = expiryOf(input, now);
  const fresh = await newApiKey(session.userId);
  const [sessionRows, inserted] = await deps.db.batch([
    sessionRow(deps.db, session),
    insertKey(
      deps.db,
      session,
      {
        userId: session.userId,
        prefix: fresh.prefix,
        keyHash: fresh.hash,
        name: input.name ?? null,
        scope: input.scope,
        createdAt: now,
        expiresAt,
      },
      MAX_KEYS_PER_USER,
    ),
  ]);
  checkSession(sessionRows, session);
  const row = inserted[0];
  if (!row) throw new Conflict(`You already have ${MAX_KEYS_PER_USER} API keys: revoke one first.`);
  return { row, key: fresh.key };
}

export async function listKeys(deps: Pick<ServiceDeps, 'db' | 'clock'>, session: Session): Promise<ApiKeyRow[]> {
  const [sessionRows, rows] = await deps.db.batch([sessionRow(deps.db, session), keysOf(deps.db, session.userId)]);
  checkSession(sessionRows, session);
  return rows;
}

/** Deletes the key: the next request that presents it is unknown, hence Unauthenticated. */
export async function revokeKey(
  deps: Pick<ServiceDeps, 'db' | 'clock'>,
  session: Session,
  keyId: number,
): Promise<void> {
  const [sessionRows, deleted] = await deps.db.batch([
    sessionRow(deps.db, session),
    deleteKey(deps.db, session, keyId),
  ]);
  checkSession(sessionRows, session);
  if (!deleted.length) throw new NotFound('No such API key.');
}

// Per isolate/process: when each key's use was last written, so a busy key costs one write a
// minute here instead of one per request. The guarded UPDATE keeps other isolates to the same.
const lastWritten = new Map<string, number>();
const MAX_REMEMBERED = 10_000;

/** Runs after the response (see requireAuth): records that a key was used, at most once a minute. */
export async function touchApiKey(deps: Pick<ServiceDeps, 'db'>, keyHash: string, at: number): Promise<void> {
  const last = lastWritten.get(keyHash);
  if (last !== undefined && at - last < KEY_USE_RESOLUTION_MS && at >= last) return;
  if (lastWritten.size >= MAX_REMEMBERED) lastWritten.clear();
  lastWritten.set(keyHash, at);
  await markKeyUsed(deps.db, keyHash, at, KEY_USE_RESOLUTION_MS);
}
