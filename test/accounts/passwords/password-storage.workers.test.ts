import { eq } from 'drizzle-orm';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PBKDF2_ITERATIONS } from '../../../src/auth/password';
import { users } from '../../../src/db/schema';
import { harness, jsonBody } from '../../support/workers/account-harness';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('password storage', () => {
  const b64 = (s: string) => Uint8Array.from(atob(s), (ch) => ch.charCodeAt(0));

  it('pins PBKDF2 at 100,000 iterations: production Workers refuse more', () => {
    expect(PBKDF2_ITERATIONS).toBe(100_000);
  });

  it('stores pbkdf2-sha256-opaque$100000$<16-byte salt>$<hash>, which really is PBKDF2-SHA256 of the password', async () => {
    const h = harness();
    const u = await h.user('hash');
    const [row] = await h.deps.db.select().from(users).where(eq(users.id, u.id));
    const stored = row?.passwordHash ?? '';
    expect(stored).not.toContain(u.password);
    const match = /^pbkdf2-sha256-opaque\$100000\$([A-Za-z0-9+/]+=*)\$([A-Za-z0-9+/]+=*)$/.exec(stored);
    expect(match, stored).not.toBeNull();
    const salt = b64(match?.[1] ?? '');
    const hash = b64(match?.[2] ?? '');
    expect(salt.byteLength).toBe(16);
    expect(hash.byteLength).toBe(32);

    // Recompute independently: proves the parameters in the string are the ones used.
    const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(u.password), 'PBKDF2', false, [
      'deriveBits',
    ]);
    const expected = new Uint8Array(
      await crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations: 100_000 }, key, 256),
    );
    expect([...hash]).toEqual([...expected]);
  });

  it('salts each hash: the same password stored twice gives different strings', async () => {
    const h = harness();
    const password = 'the same password';
    const ids: number[] = [];
    for (let i = 0; i < 2; i++) {
      const res = await h.request(
        '/api/v1/user/register',
        jsonBody({ email: `salt-${crypto.randomUUID()}@example.com`, password }),
      );
      ids.push(((await res.json()) as { id: number }).id);
    }
    const rows = await Promise.all(ids.map((id) => h.deps.db.select().from(users).where(eq(users.id, id))));
    const [a, b] = rows.map((r) => r[0]?.passwordHash);
    expect(a).toBeTruthy();
    expect(a).not.toBe(b);
    expect(a?.split('$')[2]).not.toBe(b?.split('$')[2]);
  });

  it('costs one full derivation for an unknown email, the same as for a wrong password', async () => {
    const h = harness();
    const u = await h.user('cost');
    const attempt = (email: string) =>
      h.request('/api/v1/user/login', jsonBody({ email, password: 'wrong password!' }));
    const derive = vi.spyOn(crypto.subtle, 'deriveBits');
    const iterationsOf = () => derive.mock.calls.map(([alg]) => (alg as { iterations?: number }).iterations);

    expect((await attempt(u.email)).status).toBe(401);
    const wrong = iterationsOf();
    derive.mockClear();
    expect((await attempt(`nobody-${crypto.randomUUID()}@example.com`)).status).toBe(401);
    const unknown = iterationsOf();

    expect(wrong).toEqual([100_000]);
    expect(unknown).toEqual(wrong);
  });

  it('never logs in a user whose stored hash is unreadable, whatever the password', async () => {
    const h = harness();
    const u = await h.user('corrupt');
    for (const broken of [
      'not a hash',
      `pbkdf2-sha256$200000$${btoa('0123456789abcdef')}$${btoa('x'.repeat(32))}`,
      `bcrypt$10$${btoa('0123456789abcdef')}$${btoa('x'.repeat(32))}`,
    ]) {
      await h.deps.db.update(users).set({ passwordHash: broken }).where(eq(users.id, u.id));
      // The decoy password is what the verifier falls back to: it must not open the account.
      for (const password of [u.password, 'decoy password never matches']) {
        const res = await h.request('/api/v1/user/login', jsonBody({ email: u.email, password }));
        expect(res.status, `${broken} / ${password}`).toBe(401);
      }
    }
  });

  it("moves a hash made with fewer iterations to today's parameters at the next login", async () => {
    const h = harness();
    const u = await h.user('rehash');
    const salt = crypto.getRandomValues(new Uint8Array(16));
    const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(u.password), 'PBKDF2', false, [
      'deriveBits',
    ]);
    const bits = await crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations: 1000 }, key, 256);
    const b64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));
    const old = `pbkdf2-sha256$1000$${b64(salt)}$${b64(new Uint8Array(bits))}`;
    await h.deps.db.update(users).set({ passwordHash: old }).where(eq(users.id, u.id));

    const res = await h.request('/api/v1/user/login', jsonBody({ email: u.email, password: u.password }));
    expect(res.status).toBe(200);
    const [row] = await h.deps.db.select().from(users).where(eq(users.id, u.id));
    expect(row?.passwordHash).toMatch(new RegExp(`^pbkdf2-sha256-opaque\\$${PBKDF2_ITERATIONS}\\$`));
    expect(row?.passwordHash).not.toBe(old);
    // And the new hash still opens the account.
    expect((await h.request('/api/v1/user/login', jsonBody({ email: u.email, password: u.password }))).status).toBe(
      200,
    );
  });
});
