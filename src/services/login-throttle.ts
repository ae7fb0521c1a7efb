/**
 * Failed logins are limited per account and per client address, in fixed windows: the first
 * failure opens a window, and once a counter holds `maxFailures` in it every attempt (the right
 * password included) is refused (Throttled) until the window ends. Counters live in the database,
 * so they hold across Workers isolates and server restarts.
 *
 * The account is the normalised email as sent, whether or not such a user exists: unknown emails
 * are throttled exactly like known ones, so a refusal says nothing about who has an account.
 */
import type { Db } from '../db/client';
import { pruneLoginCounters, type ThrottleCounter, type ThrottleScope } from '../db/login-queries';
import { Throttled } from './errors';

/** The limits, in one place. */
export const LOGIN_LIMITS: Record<ThrottleScope, { maxFailures: number; windowMs: number }> = {
  account: { maxFailures: 10, windowMs: 15 * 60 * 1000 },
  address: { maxFailures: 10, windowMs: 15 * 60 * 1000 },
};

export const TOO_MANY_FAILURES = 'Too many failed logins for this account or from this address.';

/** A counter as read or written: failures in the window ending at resetAt (ms). */
export interface CounterState {
  scope: ThrottleScope;
  failures: number | null;
  resetAt: number | null;
}

const encoder = new TextEncoder();

/** Counter keys are digests: the table holds no email or address. */
async function digest(scope: ThrottleScope, value: string): Promise<string> {
  const hash = new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(`${scope}:${value}`)));
  let binary = '';
  for (const b of hash) binary += String.fromCharCode(b);
  return btoa(binary);
}

/** The counters a login attempt for `email` (already normalised) from `address` counts against. */
export async function loginCounters(
  email: string,
  address: string | undefined,
  now: number,
): Promise<{ account: ThrottleCounter; address: ThrottleCounter | undefined }> {
  const grouped = address === undefined ? undefined : addressGroup(address);
  return {
    account: { scope: 'account', key: await digest('account', email), newResetAt: now + LOGIN_LIMITS.account.windowMs },
    address:
      grouped === undefined
        ? undefined
        : { scope: 'address', key: await digest('address', grouped), newResetAt: now + LOGIN_LIMITS.address.windowMs },
  };
}

/**
 * Seconds until the counter lets an attempt through, or undefined if it does now. `beyond`:
 * a count read before trying is at its limit at `maxFailures`; a count returned by the
 * failure just recorded only when it went past it.
 */
function waitFor(state: CounterState, now: number, beyond: boolean): number | undefined {
  if (state.failures === null || state.resetAt === null || state.resetAt <= now) return undefined;
  const max = LOGIN_LIMITS[state.scope].maxFailures;
  if (beyond ? state.failures <= max : state.failures < max) return undefined;
  // A racing attempt may have opened the window after this request read its clock, so the time
  // left can exceed the window by a few ms: never announce more than the window itself.
  const windowSeconds = Math.ceil(LOGIN_LIMITS[state.scope].windowMs / 1000);
  return Math.min(windowSeconds, Math.max(1, Math.ceil((state.resetAt - now) / 1000)));
}

/** Throttled, with the longest wait of the counters that are full. */
function refuseIfFull(states: CounterState[], now: number, beyond: boolean): void {
  const waits = states.map((s) => waitFor(s, now, beyond)).filter((w): w is number => w !== undefined);
  if (waits.length === 0) return;
  const seconds = Math.max(...waits);
  throw new Throttled(`${TOO_MANY_FAILURES} Try again in ${seconds} seconds.`, seconds);
}

/** Before the password is looked at: refuses while either counter is full. */
export const refuseWhileThrottled = (states: CounterState[], now: number) => refuseIfFull(states, now, false);

/**
 * After a failure was counted: a count past the limit means other attempts filled the window
 * while this one was being checked, so it is answered as throttled too. That way no more than
 * `maxFailures` attempts per window ever hear whether their password was right.
 */
export const refuseIfOverLimit = (states: CounterState[], now: number) => refuseIfFull(states, now, true);

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
