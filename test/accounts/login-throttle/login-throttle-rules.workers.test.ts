import { afterEach, describe, expect, it, vi } from 'vitest';
import { loginThrottle } from '../../../src/db/schema';
import { lastForwardedFor, localClientAddress } from '../../../src/http/client-address';
import { normalizeEmail } from '../../../src/services/accounts';
import { addressGroup, LOGIN_LIMITS, loginCounters, pruneLoginThrottle } from '../../../src/services/login-throttle';
import { json, newUser, problem, uniqueEmail } from '../../support/client';
import type { Target } from '../../support/target';
import { appHarness } from '../../support/workers/app-harness';

const START = Date.parse('2026-03-01T12:00:00Z');
const LIMIT = LOGIN_LIMITS.pair.maxFailures;
const WINDOW_S = LOGIN_LIMITS.pair.windowMs / 1000;
/** The one client address the window tests speak from, so their failures meet in one pair. */
const CLIENT = '203.0.113.1';
const WRONG = 'not the password';

/** A harness at a fixed time; requests from `from(address)` carry CF-Connecting-IP as on Cloudflare. */
function harness() {
  const h = appHarness(() => ({}), { start: START });
  const from = (address: string): Target => ({
    name: `harness from ${address}`,
    fetch: (path, init) =>
      h.target.fetch(path, {
        ...init,
        headers: { ...(init?.headers as Record<string, string>), 'cf-connecting-ip': address },
      }),
  });
  let n = 0;
  /** A new address for each call, so only the account counter counts. */
  const anywhere = () => from(`198.18.${Math.floor(++n / 250)}.${(n % 250) + 1}`);
  return {
    ...h,
    from,
    anywhere,
    login: (t: Target, email: string, password: string) => t.fetch('/api/v1/user/login', json({ email, password })),
    advanceSeconds: (s: number) => h.advance(s * 1000),
  };
}

type Harness = ReturnType<typeof harness>;

async function fill(h: Harness, email: string, n = LIMIT) {
  for (let i = 0; i < n; i++) expect((await h.login(h.from(CLIENT), email, WRONG)).status).toBe(401);
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('the window (controlled clock)', () => {
  it('says in Retry-After exactly how long is left, and lets the right password in once the window ends', async () => {
    const h = harness();
    const user = await newUser(h.target, 'window');
    await fill(h, user.email);
    h.advanceSeconds(100);
    const early = await h.login(h.from(CLIENT), user.email, user.password);
    expect(early.status).toBe(429);
    expect(early.headers.get('retry-after')).toBe(String(WINDOW_S - 100));
    expect((await problem(early)).detail).toContain(`${WINDOW_S - 100} seconds`);

    h.advanceSeconds(WINDOW_S - 100 - 1);
    const last = await h.login(h.from(CLIENT), user.email, user.password);
    expect(last.status).toBe(429);
    expect(last.headers.get('retry-after')).toBe('1');

    h.advanceSeconds(1);
    expect((await h.login(h.from(CLIENT), user.email, user.password)).status).toBe(200);
  });

  it('rounds a part of a second up: Retry-After never invites a retry that is still refused', async () => {
    const h = harness();
    const email = uniqueEmail('round');
    await fill(h, email);
    h.advance(WINDOW_S * 1000 - 1500);
    const res = await h.login(h.from(CLIENT), email, WRONG);
    expect(res.headers.get('retry-after')).toBe('2');
  });

  it('is fixed from the first failure: failures late in a window do not carry into the next', async () => {
    const h = harness();
    const user = await newUser(h.target, 'fixed');
    await fill(h, user.email, 1);
    h.advanceSeconds(WINDOW_S - 60);
    await fill(h, user.email, LIMIT - 1);
    expect((await h.login(h.from(CLIENT), user.email, user.password)).status).toBe(429);
    h.advanceSeconds(60);
    // A new window: it counts from one again.
    await fill(h, user.email, LIMIT);
    const res = await h.login(h.from(CLIENT), user.email, user.password);
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe(String(WINDOW_S));
  });

  it('ends for an address too', async () => {
    const h = harness();
    const user = await newUser(h.target, 'address-window');
    const client = h.from('203.0.113.9');
    const spray = LOGIN_LIMITS.address.maxFailures;
    for (let i = 0; i < spray; i++) expect((await h.login(client, uniqueEmail('spray'), WRONG)).status).toBe(401);
    const refused = await h.login(client, user.email, user.password);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe(String(LOGIN_LIMITS.address.windowMs / 1000));
    h.advance(LOGIN_LIMITS.address.windowMs);
    expect((await h.login(client, user.email, user.password)).status).toBe(200);
  });
});

describe('telling accounts apart', () => {
  it('gives a known and an unknown email the same 429, header for header, and checks no password for either', async () => {
    const h = harness();
    const known = await newUser(h.target, 'known');
    const unknown = uniqueEmail('unknown');
    await fill(h, known.email);
    await fill(h, unknown);
    const derive = vi.spyOn(crypto.subtle, 'deriveBits');
    const a = await h.login(h.from(CLIENT), known.email, known.password);
    const b = await h.login(h.from(CLIENT), unknown, known.password);
    // Refused before any derivation: the same (short) time for both.
    expect(derive).not.toHaveBeenCalled();
    const strip = async (r: Response) => {
      const { request_id: _id, ...body } = (await r.json()) as Record<string, unknown>;
      const headers = [...r.headers].filter(([k]) => k !== 'x-request-id');
      return { status: r.status, headers, body };
    };
    expect(await strip(b)).toEqual(await strip(a));
    expect(a.status).toBe(429);
  });

  it('stores no email and no address: the counters are keyed by digests', async () => {
    const h = harness();
    const email = uniqueEmail('digest');
    const address = '192.0.2.77';
    expect((await h.login(h.from(address), email, WRONG)).status).toBe(401);
    const rows = await h.deps.db.select().from(loginThrottle);
    expect(rows.length).toBeGreaterThanOrEqual(2);
    const text = JSON.stringify(rows);
    expect(text).not.toContain(email);
    expect(text).not.toContain(email.split('@')[0]);
    expect(text).not.toContain(address);
    for (const row of rows) expect(row.key).toMatch(/^[A-Za-z0-9+/]{43}=$/);
  });
});

describe('client addresses', () => {
  it('without CF-Connecting-IP counts no address (the pair and the account only)', async () => {
    const h = harness();
    const before = (await h.deps.db.select().from(loginThrottle)).filter((r) => r.scope === 'address').length;
    for (let i = 0; i <= LIMIT; i++) {
      expect((await h.login(h.target, uniqueEmail('no-address'), WRONG)).status).toBe(401);
    }
    const after = (await h.deps.db.select().from(loginThrottle)).filter((r) => r.scope === 'address').length;
    expect(after).toBe(before);
  });

  it('groups IPv6 clients by their /64, and an IPv4-mapped address with its IPv4 one', async () => {
    const h = harness();
    const user = await newUser(h.target, 'v6');
    for (let i = 1; i <= LIMIT; i++) {
      expect((await h.login(h.from(`2001:db8:5:6::${i.toString(16)}`), user.email, WRONG)).status).toBe(401);
    }
    expect((await h.login(h.from('2001:DB8:5:6:ffff:1:2:3'), user.email, user.password)).status).toBe(429);
    expect((await h.login(h.from('2001:db8:5:7::1'), user.email, user.password)).status).toBe(200);

    for (let i = 0; i < LIMIT; i++) {
      expect((await h.login(h.from('::ffff:192.0.2.200'), user.email, WRONG)).status).toBe(401);
    }
    expect((await h.login(h.from('192.0.2.200'), user.email, user.password)).status).toBe(429);
  });

  it.each([
    ['192.0.2.1', '192.0.2.1'],
    [' 192.0.2.1 ', '192.0.2.1'],
    ['::ffff:192.0.2.1', '192.0.2.1'],
    ['::FFFF:192.0.2.1', '192.0.2.1'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['2001:0db8:0000:0000:ffff:0000:0000:0001', '2001:db8:0:0::/64'],
    ['2001:db8:a:b:c:d:e:f', '2001:db8:a:b::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['64:ff9b::192.0.2.1', '64:ff9b:0:0::/64'],
    ['not an address', 'not an address'],
    ['1:2:3', '1:2:3'],
    ['1::2::3', '1::2::3'],
  ])('addressGroup(%j) → %j', (address, group) => {
    expect(addressGroup(address)).toBe(group);
  });

  it.each([
    [null, undefined],
    ['', undefined],
    ['198.51.100.7', '198.51.100.7'],
    ['spoofed, 198.51.100.7', '198.51.100.7'],
    ['198.51.100.7:4711', '198.51.100.7'],
    ['a, [2001:db8::1]:443', '2001:db8::1'],
    ['2001:db8::1', '2001:db8::1'],
  ])('lastForwardedFor(%j) → %j', (header, address) => {
    expect(lastForwardedFor(header)).toBe(address);
  });

  it('on Node and Bun believes X-Forwarded-For only when told to', () => {
    const request = new Request('http://x/', { headers: { 'x-forwarded-for': '198.51.100.7' } });
    const socket = { clientAddress: '127.0.0.1' };
    expect(localClientAddress(false)(request, socket)).toBe('127.0.0.1');
    expect(localClientAddress(true)(request, socket)).toBe('198.51.100.7');
    expect(localClientAddress(true)(new Request('http://x/'), socket)).toBe('127.0.0.1');
    expect(localClientAddress(false)(request, undefined)).toBeUndefined();
  });
});

describe('concurrent attempts', () => {
  it('lets no more than the pair limit of 300 parallel attempts reach the password check, and counts exactly those', async () => {
    const h = harness();
    const user = await newUser(h.target, 'burst');
    const address = '192.0.2.30';
    const client = h.from(address);
    const derive = vi.spyOn(crypto.subtle, 'deriveBits');
    const burst = 300;
    const right = burst / 2;
    const responses = await Promise.all(
      Array.from({ length: burst }, (_, i) => h.login(client, user.email, i === right ? user.password : WRONG)),
    );
    const count = (status: number) => responses.filter((r) => r.status === status).length;
    const [ok, wrong, refused] = [count(200), count(401), count(429)];
    expect(ok + wrong + refused).toBe(burst);
    // One derivation per password checked: the reserved attempts only.
    expect(derive.mock.calls.length).toBe(ok + wrong);
    expect(wrong).toBeLessThanOrEqual(LIMIT);
    expect(ok + wrong).toBeGreaterThanOrEqual(LIMIT);
    expect(ok + wrong).toBeLessThanOrEqual(LIMIT + 1);
    // Each counter holds exactly the failures: refused attempts took nothing, the right one gave its slot back.
    const counters = await loginCounters(normalizeEmail(user.email), address, undefined, START);
    const rows = await h.deps.db.select().from(loginThrottle);
    for (const c of counters) {
      const row = rows.find((r) => r.scope === c.scope && r.key === c.key);
      expect(row?.failures, c.scope).toBe(wrong);
    }
  });

  it("reserves all of an attempt's counters or none: a full address takes nothing from the pair or the account", async () => {
    const h = harness();
    const user = await newUser(h.target, 'all-or-none');
    const address = '192.0.2.31';
    const client = h.from(address);
    const spray = LOGIN_LIMITS.address.maxFailures;
    await Promise.all(Array.from({ length: spray }, () => h.login(client, uniqueEmail('fill'), WRONG)));
    const statuses = await Promise.all(Array.from({ length: 20 }, () => h.login(client, user.email, WRONG)));
    expect(statuses.map((r) => r.status)).toEqual(Array(20).fill(429));
    const counters = await loginCounters(normalizeEmail(user.email), address, undefined, START);
    const rows = await h.deps.db.select().from(loginThrottle);
    const held = (scope: string) => rows.find((r) => r.scope === scope && counters.some((c) => c.key === r.key));
    expect(held('address')?.failures).toBe(spray);
    expect(held('pair')?.failures ?? 0).toBe(0);
    expect(held('account')?.failures ?? 0).toBe(0);
  });
});

describe('housekeeping', () => {
  it('drops counters whose window has ended and keeps the others', async () => {
    const h = harness();
    const old = uniqueEmail('old');
    expect((await h.login(h.from('192.0.2.50'), old, WRONG)).status).toBe(401);
    h.advance(LOGIN_LIMITS.account.windowMs);
    const fresh = uniqueEmail('fresh');
    expect((await h.login(h.target, fresh, WRONG)).status).toBe(401);
    const before = await h.deps.db.select().from(loginThrottle);
    const ended = before.filter((r) => r.resetAt <= h.deps.clock().getTime()).length;
    expect(ended).toBeGreaterThanOrEqual(2);
    expect(await pruneLoginThrottle(h.deps)).toBe(ended);
    const after = await h.deps.db.select().from(loginThrottle);
    expect(after.every((r) => r.resetAt > h.deps.clock().getTime())).toBe(true);
    expect(after.length).toBe(before.length - ended);
  });
});
