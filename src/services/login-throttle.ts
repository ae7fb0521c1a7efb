/**
 * Login throttling that no one can use to lock someone else out. Each attempt reserves one slot,
 * atomically and before its password is looked at, on counters in fixed windows (the first
 * attempt opens one); a right password gives its slot back, so the counters hold failures only,
 * and a full counter refuses every attempt it covers (Throttled) until its window ends. However
 * many attempts run in parallel, no more than a counter's limit of them ever reach the password
 * check. Which counters an attempt reserves:
 *
 * - A client presenting the device cookie (auth/device-cookie) of the account it names: only
 *   that cookie's own counter. Nothing anyone else does can lock it out.
 * - Any other: the (account, address) pair, so one person's guesses lock only that person out
 *   of that account; the address across all accounts, with a much higher limit, against
 *   credential stuffing (a shared NAT only meets it under an attack from inside it); and the
 *   account across all addresses, against guessing spread over many addresses (one address
 *   cannot reach it alone: the pair stops it first).
 *
 * The account is the normalised email as sent, whether or not such a user exists: unknown emails
 * are throttled exactly like known ones, so a refusal says nothing about who has an account.
 * Counters live in the database, so they hold across Workers isolates and server restarts.
 */
import type { Db } from '../db/client';
import { type CounterRow, pruneLoginCounters, type ThrottleCounter, type ThrottleScope } from '../db/login-queries';
import { Throttled } from './errors';

const WINDOW_MS = 15 * 60 * 1000;

/** The limits, in one place: failed attempts per window. */
export const LOGIN_LIMITS: Record<ThrottleScope, { maxFailures: number; windowMs: number }> = {
  pair: { maxFailures: 10, windowMs: WINDOW_MS },
  address: { maxFailures: 100, windowMs: WINDOW_MS },
  account: { maxFailures: 50, windowMs: WINDOW_MS },
  device: { maxFailures: 10, windowMs: WINDOW_MS },
};

export const TOO_MANY_FAILURES = 'Too many failed logins for this account or from this address.';

const encoder = new TextEncoder();

/** Counter keys are digests: the table holds no email, address or cookie. */
async function digest(scope: ThrottleScope, value: string): Promise<string> {
  const hash = new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(`${scope}:${value}`)));
  let binary = '';
  for (const b of hash) binary += String.fromCharCode(b);
  return btoa(binary);
}

const counter = async (scope: ThrottleScope, value: string, now: number): Promise<ThrottleCounter> => ({
  scope,
  key: await digest(scope, value),
  max: LOGIN_LIMITS[scope].maxFailures,
  newResetAt: now + LOGIN_LIMITS[scope].windowMs,
});

/** The key of an account's counter across all addresses (removed with the account). */
export const accountCounterKey = (email: string): Promise<string> => digest('account', email);

/**
 * The counters a login attempt for `email` (already normalised) reserves: its device cookie's
 * alone when `device` (the nonce of a cookie issued for this email) is given; otherwise the
 * pair, the account and, when the client's address is known, the address. Without an address
 * every such client of the account shares one pair.
 */
export async function loginCounters(
  email: string,
  address: string | undefined,
  device: string | undefined,
  now: number,
): Promise<ThrottleCounter[]> {
  if (device !== undefined) return [await counter('device', device, now)];
  const grouped = address === undefined ? undefined : addressGroup(address);
  const counters = [await counter('pair', `${grouped ?? ''}\n${email}`, now), await counter('account', email, now)];
  if (grouped !== undefined) counters.push(await counter('address', grouped, now));
  return counters;
}

/**
 * The refusal for an attempt that could not reserve: Throttled, with the longest wait of the
 * counters that are full. A window that ended between the reservation and this read leaves
 * none full: then a second is enough.
 */
export function throttled(rows: readonly CounterRow[], now: number): Throttled {
  // A racing attempt may have opened a window after this request read its clock, so the time
  // left can exceed the window by a few ms: never announce more than the window itself.
  const waits = rows
    .filter((r) => r.resetAt > now && r.failures >= LOGIN_LIMITS[r.scope].maxFailures)
    .map((r) => Math.min(LOGIN_LIMITS[r.scope].windowMs / 1000, Math.max(1, Math.ceil((r.resetAt - now) / 1000))));
  const seconds = Math.max(1, ...waits);
  return new Throttled(`${TOO_MANY_FAILURES} Try again in ${seconds} seconds.`, seconds);
}

/**
 * The part of an address that identifies a client: an IPv4 address as is (an IPv4-mapped IPv6
 * one unwrapped), an IPv6 address by its /64 prefix, since one host or home is handed a whole
 * /64. Anything else is taken as it is.
 */
export function addressGroup(address: string): string {
  const a = address.trim().toLowerCase().replace(/%.*$/, '');
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(a);
  if (mapped?.[1]) return mapped[1];
  if (!a.includes(':')) return a;
  const groups = expandIpv6(a);
  return groups ? `${groups.slice(0, 4).join(':')}::/64` : a;
}

/** The eight 16-bit groups of an IPv6 address (no leading zeros), or undefined if it is not one. */
function expandIpv6(address: string): string[] | undefined {
  let text = address;
  // A dotted IPv4 tail stands for the last two groups.
  const tail = /(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (tail) {
    const [b0, b1, b2, b3] = tail.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, tail.index)}${((b0 << 8) | b1).toString(16)}:${((b2 << 8) | b3).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const split = (part: string | undefined) => (part ? part.split(':') : []);
  const head = split(halves[0]);
  const rest = split(halves[1]);
  const fill = halves.length === 2 ? 8 - head.length - rest.length : 0;
  if (fill < 0 || (halves.length === 1 && head.length !== 8)) return undefined;
  const groups = [...head, ...Array<string>(fill).fill('0'), ...rest];
  if (groups.length !== 8 || !groups.every((g) => /^[0-9a-f]{1,4}$/.test(g))) return undefined;
  return groups.map((g) => Number.parseInt(g, 16).toString(16));
}

/** Housekeeping: drops counters whose window has ended. Returns how many. */
export async function pruneLoginThrottle(deps: { db: Db; clock: () => Date }): Promise<number> {
  return (await pruneLoginCounters(deps.db, deps.clock().getTime())).length;
}
