import { drizzle as drizzleD1 } from 'drizzle-orm/d1';
import { type Db, drizzleOptions } from './client';

/**
 * D1 read replication (docs/cloudflare-replication.md): each request runs in one D1 session,
 * and answers with the session's bookmark in this header. A client that sends it back gets a
 * session that starts no earlier than that point, so it reads its own writes from any replica.
 */
export const BOOKMARK_HEADER = 'x-d1-bookmark';

/** One request's database: drizzle over a D1 session, and that session's latest bookmark. */
export interface DbSession {
  db: Db;
  /** Null until a statement has run (the constraint alone names no point in time). */
  bookmark(): string | null;
}

/** What `withSession` is given: a constraint, or the bookmark a client sent back. */
export type SessionStart = 'first-primary' | 'first-unconstrained' | { bookmark: string };

export type DbSessions = (start: SessionStart) => DbSession;

/** What a session needs of the D1 binding, by shape: Node's type set (tsconfig.node.json) has no D1 types. */
export interface D1WithSessions {
  withSession(constraintOrBookmark: string): { getBookmark(): string | null };
}

/**
 * A D1 session per call. drizzle's D1 driver needs only `prepare` and `batch`, which a
 * D1DatabaseSession has with the same signatures; `exec` and `dump` (which it lacks) are used by
 * migrations only, and those run through wrangler, not the app.
 */
export function d1Sessions(binding: D1WithSessions): DbSessions {
  return (start) => {
    const session = binding.withSession(typeof start === 'string' ? start : start.bookmark);
    return {
      db: drizzleD1(session as unknown as D1Database, drizzleOptions) as unknown as Db,
      bookmark: () => session.getBookmark(),
    };
  };
}

/**
 * D1's bookmarks are dash-separated hexadecimal fields (a commit position and a hash). Anything
 * else was not given out by this API, and is refused rather than passed to D1, whose answer to a
 * bookmark it cannot parse is a failed query deep inside a route. Loose on purpose (any number
 * of fields, either case) so a longer bookmark from a newer D1 still passes.
 */
const BOOKMARK = /^[0-9a-f]{1,64}(?:-[0-9a-f]{1,64}){0,7}$/i;

/** The header's value as a bookmark; undefined when absent or blank; null when malformed. */
export function parseBookmark(value: string | undefined): string | undefined | null {
  const trimmed = value?.trim();
  if (!trimmed) return undefined;
  return BOOKMARK.test(trimmed) ? trimmed : null;
}

/**
 * Reads that must see the newest state whoever asks, bookmark or not: a share link is opened by
 * someone who never saw its owner's bookmark, and a revoked link must stop at once; operator
 * views decide with operator rights, which must not outlive their removal on a lagging replica.
 * Starting at the primary is never older than any bookmark, so ignoring one here is safe.
 */
const PRIMARY_READS = [/^\/api\/v1\/shared\//, /^\/api\/v1\/admin\//];

/**
 * Reads whose staleness is harmless, started on whichever copy is nearest when the client sends
 * no bookmark: the health check (it asks whether a database answers, and a replica answering is
 * the answer for reads), and a user's usage counts, which are written after the response and so
 * already trail the requests they count.
 */
const UNCONSTRAINED_READS = [/^\/healthz\/?$/, /^\/api\/v1\/user\/usage\/?$/];

/**
 * Where a request's session starts. A write starts at the primary (a write goes there anyway, and
 * its reads then guard it against the newest rows). Every other read follows the client's
 * bookmark when it sent one, and otherwise starts at the primary: a client that never echoes the
 * header (the legacy API's clients, an `<img>` tag) must still see the image it just uploaded.
 */
export function sessionStart(method: string, path: string, bookmark: string | undefined): SessionStart {
  const read = method === 'GET' || method === 'HEAD';
  if (!read || PRIMARY_READS.some((p) => p.test(path))) return 'first-primary';
  if (bookmark) return { bookmark };
  return UNCONSTRAINED_READS.some((p) => p.test(path)) ? 'first-unconstrained' : 'first-primary';
}
