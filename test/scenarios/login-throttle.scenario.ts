import { describe, expect, it } from 'vitest';
import { form, json, newUser, problem, type TestUser, uniqueEmail } from '../support/client';
import type { Scenario } from '../support/scenarios';
import { fromNewAddress, type Target } from '../support/target';

/**
 * Login throttling (10 failures per account and per client address in 15 minutes) over HTTP.
 * Every test speaks from client addresses of its own (`fromNewAddress`), so the counters of one
 * test, and of the rest of the suite, never meet. Window expiry with a controlled clock is in
 * test/workers/login-throttle.test.ts; surviving a restart in test/node/login-throttle.test.ts.
 */

const LIMIT = 10;
const WINDOW_SECONDS = 15 * 60;
const V1 = '/api/v1/user/login';
const LEGACY = '/api/user/login';

const login = (t: Target, email: string, password: string, path = V1) => t.fetch(path, json({ email, password }));
const WRONG = 'not the password';

/** `n` wrong-password attempts on `email`, each from a fresh address (so only the account counts). */
async function failFromEverywhere(target: Target, email: string, n: number, path = V1): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < n; i++) statuses.push((await login(fromNewAddress(target), email, WRONG, path)).status);
  return statuses;
}

const repeat = <T>(value: T, n: number) => Array<T>(n).fill(value);

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
  describe('per account', () => {
    let user: TestUser;

    it(`answers 401 to ${LIMIT} wrong passwords, then 429 to every attempt, the right password included`, async () => {
      user = await newUser(target(), 'throttle-account');
      expect(await failFromEverywhere(target(), user.email, LIMIT)).toEqual(repeat(401, LIMIT));

      await expectThrottled(await login(fromNewAddress(target()), user.email, user.password), 'right password');
      await expectThrottled(await login(fromNewAddress(target()), user.email, WRONG), 'wrong password');
      await expectThrottled(
        await login(fromNewAddress(target()), user.email, user.password, LEGACY),
        'right password, legacy path',
      );
      await expectThrottled(
        await fromNewAddress(target()).fetch(
          V1,
          form([
            ['email', user.email],
            ['password', user.password],
          ]),
        ),
        'right password, form body',
      );
    });

    it('leaves sessions issued before the throttle working: it guards logging in, not the account', async () => {
      const me = await target().fetch('/api/v1/user', { headers: { authorization: `Bearer ${user.token}` } });
      expect(me.status).toBe(200);
    });

    it('counts failures on the legacy and v1 paths together, under the normalised email', async () => {
      const other = await newUser(target(), 'throttle-mixed');
      const shouted = ` ${other.email.toUpperCase()} `;
      const statuses = [
        ...(await failFromEverywhere(target(), other.email, LIMIT / 2, LEGACY)),
        ...(await failFromEverywhere(target(), shouted, LIMIT / 2, V1)),
      ];
      expect(statuses).toEqual(repeat(401, LIMIT));
      await expectThrottled(await login(fromNewAddress(target()), other.email, other.password), 'v1');
      await expectThrottled(await login(fromNewAddress(target()), shouted, other.password, LEGACY), 'legacy');
    });

    it('is reset by a successful login before the limit, so the next failures start from zero', async () => {
      const u = await newUser(target(), 'throttle-reset');
      expect(await failFromEverywhere(target(), u.email, LIMIT - 1)).toEqual(repeat(401, LIMIT - 1));
      expect((await login(fromNewAddress(target()), u.email, u.password)).status).toBe(200);
      // Without the reset the second of these would be refused: 9 + 2 > 10.
      expect(await failFromEverywhere(target(), u.email, LIMIT)).toEqual(repeat(401, LIMIT));
      await expectThrottled(await login(fromNewAddress(target()), u.email, u.password), 'after a new 10');
    });
  });

  describe('an unknown email', () => {
    it('is throttled exactly like a known one: the same status, headers and body', async () => {
      const known = await newUser(target(), 'throttle-known');
      const unknown = uniqueEmail('throttle-unknown');
      const [knownStatuses, unknownStatuses] = [
        await failFromEverywhere(target(), known.email, LIMIT),
        await failFromEverywhere(target(), unknown, LIMIT),
      ];
      expect(knownStatuses).toEqual(repeat(401, LIMIT));
      expect(unknownStatuses).toEqual(knownStatuses);

      const a = await expectThrottled(await login(fromNewAddress(target()), known.email, known.password), 'known');
      const b = await expectThrottled(await login(fromNewAddress(target()), unknown, known.password), 'unknown');
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

  describe('per client address', () => {
    it(`refuses every login from an address after ${LIMIT} failures on any emails; other addresses go on`, async () => {
      const user = await newUser(target(), 'throttle-address');
      const attacker = fromNewAddress(target());
      const statuses: number[] = [];
      for (let i = 0; i < LIMIT; i++) statuses.push((await login(attacker, uniqueEmail('spray'), WRONG)).status);
      expect(statuses).toEqual(repeat(401, LIMIT));

      await expectThrottled(await login(attacker, user.email, user.password), 'a good login from the address');
      await expectThrottled(await login(attacker, uniqueEmail('fresh'), WRONG, LEGACY), 'a new email, legacy path');
      expect((await login(fromNewAddress(target()), user.email, user.password)).status).toBe(200);
    });

    it("is not reset by a successful login (that resets only the account's count)", async () => {
      const user = await newUser(target(), 'throttle-address-reset');
      const client = fromNewAddress(target());
      for (let i = 0; i < LIMIT - 1; i++) expect((await login(client, uniqueEmail('miss'), WRONG)).status).toBe(401);
      expect((await login(client, user.email, user.password)).status).toBe(200);
      expect((await login(client, uniqueEmail('miss'), WRONG)).status).toBe(401);
      await expectThrottled(await login(client, user.email, user.password), 'the 11th attempt');
    });
  });

  describe('concurrent attempts', () => {
    const BURST = 15;
    const tally = (statuses: number[]) => ({
      401: statuses.filter((s) => s === 401).length,
      429: statuses.filter((s) => s === 429).length,
    });

    it(`lets no more than ${LIMIT} of ${BURST} simultaneous wrong passwords for one account be answered`, async () => {
      const user = await newUser(target(), 'throttle-burst');
      const responses = await Promise.all(
        Array.from({ length: BURST }, () => login(fromNewAddress(target()), user.email, WRONG)),
      );
      // Exactly 10: each failure is counted atomically, so none is lost and none is let past.
      expect(tally(responses.map((r) => r.status))).toEqual({ 401: LIMIT, 429: BURST - LIMIT });
      for (const r of responses.filter((r) => r.status === 429)) await expectThrottled(r, 'burst');
      await expectThrottled(await login(fromNewAddress(target()), user.email, user.password), 'after the burst');
    });

    it(`does the same for ${BURST} simultaneous failures from one address on different emails`, async () => {
      const client = fromNewAddress(target());
      const responses = await Promise.all(
        Array.from({ length: BURST }, () => login(client, uniqueEmail('burst'), WRONG)),
      );
      expect(tally(responses.map((r) => r.status))).toEqual({ 401: LIMIT, 429: BURST - LIMIT });
      await expectThrottled(await login(client, uniqueEmail('after'), WRONG), 'after the burst');
    });
  });
};

export default loginThrottle;
