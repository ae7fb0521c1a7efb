import { describe, expect, it } from 'vitest';
import { LOGIN_LIMITS } from '../../../src/services/login-throttle';
import { form, json, newUser, problem, type TestUser, uniqueEmail } from '../../support/client';
import type { Scenario } from '../../support/scenarios';
import { fromNewAddress, type Target } from '../../support/target';

/**
 * Login throttling over HTTP (services/login-throttle): per (account, address) pair, per
 * address, per account, and per device cookie. Every test speaks from client addresses of its
 * own (`fromNewAddress`), so the counters of one test, and of the rest of the suite, never meet.
 * Window expiry with a controlled clock and the exact counts in the database are in
 * test/accounts/login-throttle/login-throttle-rules.workers.test.ts; surviving a restart in test/accounts/login-throttle/login-throttle-across-restarts.node.test.ts.
 */

const PAIR = LOGIN_LIMITS.pair.maxFailures;
const ADDRESS = LOGIN_LIMITS.address.maxFailures;
const ACCOUNT = LOGIN_LIMITS.account.maxFailures;
const DEVICE = LOGIN_LIMITS.device.maxFailures;
const WINDOW_SECONDS = LOGIN_LIMITS.pair.windowMs / 1000;
const V1 = '/api/v1/user/login';
const LEGACY = '/api/user/login';
const WRONG = 'not the password';

const login = (t: Target, email: string, password: string, path = V1, cookie?: string) =>
  t.fetch(path, json({ email, password }, cookie ? { headers: { cookie } } : {}));

/** The `login_device=…` pair a successful login set. */
function deviceCookieOf(res: Response): string {
  const set = res.headers.getSetCookie().find((c) => c.startsWith('login_device='));
  if (!set) throw new Error(`no device cookie in ${res.status}`);
  return set.split(';')[0] as string;
}

async function statusesOf(n: number, attempt: (i: number) => Promise<Response>): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < n; i++) statuses.push((await attempt(i)).status);
  return statuses;
}

const repeat = <T>(value: T, n: number) => Array<T>(n).fill(value);
const tally = (statuses: number[]) => {
  const counts: Record<number, number> = {};
  for (const s of statuses) counts[s] = (counts[s] ?? 0) + 1;
  return counts;
};

/** A 429 problem with a sane Retry-After (seconds until the window ends); returns its parts. */
async function expectThrottled(res: Response, label: string) {
  expect(res.status, label).toBe(429);
  const retryAfter = res.headers.get('retry-after');
  expect(retryAfter, label).toMatch(/^[1-9][0-9]*$/);
  const seconds = Number(retryAfter);
  // The window opened moments ago: nearly all of it is left, and never more than all of it.
  expect(seconds, label).toBeLessThanOrEqual(WINDOW_SECONDS);
  expect(seconds, label).toBeGreaterThan(WINDOW_SECONDS - 120);
  expect(res.headers.getSetCookie(), label).toEqual([]);
  const body = await problem(res);
  expect(body, label).toMatchObject({ status: 429, title: 'Too Many Requests', type: 'about:blank' });
  expect(body.detail, label).toMatch(/too many failed logins/i);
  return { seconds, body, headers: res.headers };
}

const loginThrottle: Scenario = (target) => {
  describe('per account and address', () => {
    let user: TestUser;
    let attacker: Target;

    it(`answers 401 to ${PAIR} wrong passwords, then 429 to every attempt from that address, the right password included`, async () => {
      user = await newUser(target(), 'throttle-pair');
      attacker = fromNewAddress(target());
      expect(await statusesOf(PAIR, () => login(attacker, user.email, WRONG))).toEqual(repeat(401, PAIR));

      await expectThrottled(await login(attacker, user.email, user.password), 'right password');
      await expectThrottled(await login(attacker, user.email, WRONG), 'wrong password');
      await expectThrottled(await login(attacker, user.email, user.password, LEGACY), 'right password, legacy path');
      await expectThrottled(
        await attacker.fetch(
          V1,
          form([
            ['email', ` ${user.email.toUpperCase()} `],
            ['password', user.password],
          ]),
        ),
        'right password, form body, the email as typed differently',
      );
    });

    it('lets the same account sign in from any other address: one address cannot lock the owner out', async () => {
      expect((await login(fromNewAddress(target()), user.email, user.password)).status).toBe(200);
      expect((await login(fromNewAddress(target()), user.email, user.password, LEGACY)).status).toBe(200);
      // …and other accounts from the throttled address.
      const other = await newUser(target(), 'throttle-pair-other');
      expect((await login(attacker, other.email, other.password)).status).toBe(200);
    });

    it('counts no right password: successes never use up a limit (a NAT full of users signing in)', async () => {
      const u = await newUser(target(), 'throttle-success');
      const client = fromNewAddress(target());
      expect(await statusesOf(PAIR - 1, () => login(client, u.email, WRONG))).toEqual(repeat(401, PAIR - 1));
      expect(await statusesOf(2 * PAIR, () => login(client, u.email, u.password))).toEqual(repeat(200, 2 * PAIR));
      expect((await login(client, u.email, WRONG)).status).toBe(401);
      await expectThrottled(await login(client, u.email, u.password), `after ${PAIR} failures`);
    });
  });

  describe('the device cookie', () => {
    it('lets a client that signed in before through while its address is throttled for the account', async () => {
      const user = await newUser(target(), 'throttle-device');
      const shared = fromNewAddress(target());
      const device = deviceCookieOf(await login(shared, user.email, user.password));
      // Someone else behind the same address fills the pair.
      expect(await statusesOf(PAIR, () => login(shared, user.email, WRONG))).toEqual(repeat(401, PAIR));
      await expectThrottled(await login(shared, user.email, user.password), 'without the cookie');

      const ok = await login(shared, user.email, user.password, V1, device);
      expect(ok.status).toBe(200);
      expect(deviceCookieOf(ok)).toMatch(/^login_device=[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$/);
      const attrs = ok.headers.getSetCookie().find((c) => c.startsWith('login_device=')) ?? '';
      expect(attrs).toMatch(/; HttpOnly/i);
      expect(attrs).toMatch(/; SameSite=Strict/i);
      expect(attrs).toMatch(/; Path=\/api(;|$)/);
      expect((await login(shared, user.email, user.password, LEGACY, device)).status).toBe(200);
    });

    it(`has its own limit of ${DEVICE} failures, and is worth nothing for another account or altered`, async () => {
      const user = await newUser(target(), 'throttle-device-own');
      const other = await newUser(target(), 'throttle-device-other');
      const client = fromNewAddress(target());
      const device = deviceCookieOf(await login(fromNewAddress(target()), user.email, user.password));
      expect(await statusesOf(DEVICE, () => login(client, user.email, WRONG, V1, device))).toEqual(repeat(401, DEVICE));
      await expectThrottled(await login(client, user.email, user.password, V1, device), 'the cookie is full');
      // Those failures were the cookie's: the address's pair for the account is untouched.
      expect((await login(client, user.email, user.password)).status).toBe(200);

      // For another account (or altered) the cookie is ignored: the pair counts as without one.
      const tampered = `${device.slice(0, -1)}${device.endsWith('A') ? 'B' : 'A'}`;
      const elsewhere = fromNewAddress(target());
      expect(
        await statusesOf(PAIR, (i) => login(elsewhere, other.email, WRONG, V1, i % 2 ? device : tampered)),
      ).toEqual(repeat(401, PAIR));
      await expectThrottled(await login(elsewhere, other.email, other.password, V1, device), 'cookie of another');
    });
  });

  describe('an unknown email', () => {
    it('is throttled exactly like a known one: the same statuses, headers and body', async () => {
      const known = await newUser(target(), 'throttle-known');
      const unknown = uniqueEmail('throttle-unknown');
      const client = fromNewAddress(target());
      const knownStatuses = await statusesOf(PAIR, () => login(client, known.email, WRONG));
      const unknownStatuses = await statusesOf(PAIR, () => login(client, unknown, WRONG));
      expect(knownStatuses).toEqual(repeat(401, PAIR));
      expect(unknownStatuses).toEqual(knownStatuses);

      const a = await expectThrottled(await login(client, known.email, known.password), 'known');
      const b = await expectThrottled(await login(client, unknown, known.password), 'unknown');
      const shape = (r: typeof a) => ({
        keys: Object.keys(r.body).sort(),
        title: r.body.title,
        type: r.body.type,
        // Only the seconds may differ, by the time between the two requests.
        detail: r.body.detail?.replace(/\d+/g, 'N'),
        headers: [...r.headers.keys()].filter((h) => !['date', 'x-request-id', 'content-length'].includes(h)).sort(),
        contentType: r.headers.get('content-type'),
      });
      expect(shape(b)).toEqual(shape(a));
      expect(Math.abs(a.seconds - b.seconds)).toBeLessThanOrEqual(60);
    });
  });

  describe('concurrent attempts', () => {
    it('lets at most the pair limit of a parallel burst for one account from one address reach the password check', async () => {
      const user = await newUser(target(), 'throttle-burst');
      const client = fromNewAddress(target());
      const burst = target().name === 'workers' ? 300 : 100;
      const right = Math.floor(burst / 2);
      const responses = await Promise.all(
        Array.from({ length: burst }, (_, i) => login(client, user.email, i === right ? user.password : WRONG)),
      );
      const counts = tally(responses.map((r) => r.status));
      const [ok = 0, wrong = 0, refused = 0] = [counts[200], counts[401], counts[429]];
      expect(ok + wrong + refused, JSON.stringify(counts)).toBe(burst);
      // Reserved before the check: the right one is answered only if it won one of the slots
      // (giving it back lets one more wrong one in), and never more wrong ones than the limit.
      expect(ok).toBeLessThanOrEqual(1);
      expect(wrong).toBeLessThanOrEqual(PAIR);
      expect(wrong + ok).toBeGreaterThanOrEqual(PAIR);
      expect(wrong + ok).toBeLessThanOrEqual(PAIR + 1);
      for (const r of responses.filter((r) => r.status === 429)) await expectThrottled(r, 'burst');
      // The refused attempts counted nowhere: the account's limit across addresses is untouched.
      expect((await login(fromNewAddress(target()), user.email, user.password)).status).toBe(200);
    });

    it(`stops credential stuffing: ${ADDRESS} failures from one address on any emails, then 429 for every account there`, async () => {
      const user = await newUser(target(), 'throttle-stuffing');
      const device = deviceCookieOf(await login(fromNewAddress(target()), user.email, user.password));
      const client = fromNewAddress(target());
      const extra = 10;
      const responses = await Promise.all(
        Array.from({ length: ADDRESS + extra }, () => login(client, uniqueEmail('stuffing'), WRONG)),
      );
      expect(tally(responses.map((r) => r.status))).toEqual({ 401: ADDRESS, 429: extra });
      await expectThrottled(await login(client, user.email, user.password), 'a good login from the address');
      await expectThrottled(await login(client, uniqueEmail('fresh'), WRONG, LEGACY), 'a new email, legacy path');
      expect((await login(fromNewAddress(target()), user.email, user.password)).status).toBe(200);
      // A client that signed in to the account before is not held by its address.
      expect((await login(client, user.email, user.password, V1, device)).status).toBe(200);
    });

    it(`stops guessing spread over many addresses: ${ACCOUNT} failures for an account, then 429 without its device cookie`, async () => {
      const user = await newUser(target(), 'throttle-account');
      const device = deviceCookieOf(await login(fromNewAddress(target()), user.email, user.password));
      const extra = 10;
      const responses = await Promise.all(
        Array.from({ length: ACCOUNT + extra }, () => login(fromNewAddress(target()), user.email, WRONG)),
      );
      expect(tally(responses.map((r) => r.status))).toEqual({ 401: ACCOUNT, 429: extra });
      await expectThrottled(await login(fromNewAddress(target()), user.email, user.password), 'a new address');
      expect((await login(fromNewAddress(target()), user.email, user.password, LEGACY, device)).status).toBe(200);
    });
  });

  it('leaves sessions issued before the throttle working: it guards logging in, not the account', async () => {
    const user = await newUser(target(), 'throttle-session');
    const client = fromNewAddress(target());
    await statusesOf(PAIR, () => login(client, user.email, WRONG));
    await expectThrottled(await login(client, user.email, user.password), 'throttled');
    const me = await target().fetch('/api/v1/user', { headers: { authorization: `Bearer ${user.token}` } });
    expect(me.status).toBe(200);
  });
};

export default loginThrottle;
