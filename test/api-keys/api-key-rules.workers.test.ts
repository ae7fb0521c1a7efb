import { describe, expect, it } from 'vitest';
import { hashApiKey, newApiKey, parseApiKey } from '../../src/auth/api-key';
import { MAX_KEYS_PER_USER } from '../../src/limits';

import { bearer, json, newUser, problem } from '../support/client';
import { asKey, createKey, listKeys } from '../support/keys';
import { appHarness } from '../support/workers/app-harness';

describe('key format', () => {
  it('makes keys that parse back to their owner and prefix, and hashes the whole key', async () => {
    const made = await newApiKey(42);
    expect(made.key).toMatch(/^iak_42_[a-z0-9]{8}_[A-Za-z0-9_-]{43}$/);
    expect(made.key.startsWith(`${made.prefix}_`)).toBe(true);
    const parsed = await parseApiKey(made.key);
    expect(parsed).toEqual({ userId: 42, prefix: made.prefix, hash: made.hash });
    expect(made.hash).toBe(await hashApiKey(made.key));
    expect(made.hash).toMatch(/^[0-9a-f]{64}$/);
    expect((await newApiKey(42)).key).not.toBe(made.key);
  });

  it.each([
    'iak_0_abcdefgh_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
    'iak_01_abcdefgh_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
    'iak_1_ABCDEFGH_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
    'iak_1_abcdefgh_AAAA',
    'iak_99999999999999999_abcdefgh_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
    'iak_1_abcdefgh_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
  ])('refuses %s', async (key) => {
    expect(await parseApiKey(key)).toBeUndefined();
  });
});

describe('key rules on the clock', () => {
  it('refuses a key from the moment it expires (401), on reads and writes', async () => {
    const h = appHarness();
    const user = await newUser(h.target, 'expiry');
    const created = await createKey(h.target, user, { scope: 'read-write', expires_in: 120 });
    const keyed = asKey(user, created);
    expect((await h.target.fetch('/api/v1/user', { headers: bearer(keyed) })).status).toBe(200);
    h.advance(119_000);
    expect((await h.target.fetch('/api/v1/images', { headers: bearer(keyed) })).status).toBe(200);
    h.advance(1_000);
    for (const [path, init] of [
      ['/api/v1/user', {}],
      ['/api/v1/images/1/tags/x', { method: 'POST' }],
    ] as const) {
      const res = await h.target.fetch(path, { ...init, headers: bearer(keyed) });
      expect(res.status, path).toBe(401);
      expect((await problem(res)).detail).toMatch(/expired/);
    }
    // Still listed (with its expiry) until revoked.
    expect((await listKeys(h.target, user)).map((k) => k.id)).toContain(created.id);
  });

  it('writes last_used_at at most once a minute', async () => {
    const h = appHarness();
    const user = await newUser(h.target, 'last-used');
    const keyed = asKey(user, await createKey(h.target, user, { scope: 'read' }));
    const lastUsed = async () => (await listKeys(h.target, user))[0]?.last_used_at ?? null;
    const settle = async (want: string | null) => {
      for (let i = 0; i < 100 && (await lastUsed()) !== want; i++) await new Promise((r) => setTimeout(r, 10));
      return lastUsed();
    };

    const first = new Date(h.deps.clock().getTime()).toISOString();
    await h.target.fetch('/api/v1/user', { headers: bearer(keyed) });
    expect(await settle(first)).toBe(first);
    h.advance(30_000);
    await h.target.fetch('/api/v1/user', { headers: bearer(keyed) });
    await new Promise((r) => setTimeout(r, 50));
    expect(await lastUsed()).toBe(first);
    h.advance(31_000);
    const second = new Date(h.deps.clock().getTime()).toISOString();
    await h.target.fetch('/api/v1/user', { headers: bearer(keyed) });
    expect(await settle(second)).toBe(second);
  });
});

describe('key limits', () => {
  it(`refuses a key past ${MAX_KEYS_PER_USER} with 409`, async () => {
    const h = appHarness();
    const user = await newUser(h.target, 'many-keys');
    await Promise.all(Array.from({ length: MAX_KEYS_PER_USER }, () => createKey(h.target, user, { scope: 'read' })));
    const res = await h.target.fetch('/api/v1/user/keys', json({ scope: 'read' }, { headers: bearer(user) }));
    expect(res.status).toBe(409);
    expect((await problem(res)).detail).toMatch(/revoke one/);
    expect(await listKeys(h.target, user)).toHaveLength(MAX_KEYS_PER_USER);
  });
});
