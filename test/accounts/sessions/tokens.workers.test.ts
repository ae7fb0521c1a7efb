import { describe, expect, it } from 'vitest';
import { ISSUED_AT_SKEW_SECONDS, issueToken, readToken, VERIFIED_TOKENS_KEPT } from '../../../src/auth/token';
import { MIN_SECRET_BYTES } from '../../../src/config';

describe('tokens', () => {
  const secret = 's'.repeat(MIN_SECRET_BYTES);
  const now = new Date('2026-03-01T00:00:00Z');

  it('round-trips the session and expires exactly at exp', async () => {
    const issued = await issueToken(secret, { userId: 42, tokenVersion: 3 }, 60, now);
    expect(issued.expiresAt).toBe(now.getTime() / 1000 + 60);
    expect(await readToken(secret, issued.token, now)).toEqual({ userId: 42, tokenVersion: 3 });
    expect(await readToken(secret, issued.token, new Date(now.getTime() + 59_000))).toBeDefined();
    expect(await readToken(secret, issued.token, new Date(now.getTime() + 60_000))).toBeUndefined();
    expect(await readToken(`${secret}!`, issued.token, now)).toBeUndefined();
  });

  it(`refuses a token issued more than ${ISSUED_AT_SKEW_SECONDS} s ahead of this clock (never one of ours)`, async () => {
    const ahead = (seconds: number) => new Date(now.getTime() + seconds * 1000);
    const skewed = await issueToken(secret, { userId: 42, tokenVersion: 3 }, 3600, ahead(ISSUED_AT_SKEW_SECONDS));
    expect(await readToken(secret, skewed.token, now)).toEqual({ userId: 42, tokenVersion: 3 });
    const future = await issueToken(secret, { userId: 42, tokenVersion: 3 }, 3600, ahead(ISSUED_AT_SKEW_SECONDS + 1));
    expect(await readToken(secret, future.token, now)).toBeUndefined();
  });

  it('a token already verified is still checked against the clock and the secret on every read', async () => {
    const issued = await issueToken(secret, { userId: 7, tokenVersion: 1 }, 60, now);
    expect(await readToken(secret, issued.token, now)).toEqual({ userId: 7, tokenVersion: 1 });
    // Remembered now: the same answers as a full verification.
    expect(await readToken(secret, issued.token, new Date(now.getTime() + 59_000))).toEqual({
      userId: 7,
      tokenVersion: 1,
    });
    expect(await readToken(secret, issued.token, new Date(now.getTime() + 60_000))).toBeUndefined();
    expect(await readToken(`${secret}?`, issued.token, now)).toBeUndefined();
    // Issued "in the future" relative to a clock set far back.
    expect(await readToken(secret, issued.token, new Date(now.getTime() - 3_600_000))).toBeUndefined();
    // A returned session is a copy: changing it changes nothing remembered.
    const session = await readToken(secret, issued.token, now);
    if (session) session.userId = 8;
    expect(await readToken(secret, issued.token, now)).toEqual({ userId: 7, tokenVersion: 1 });
  });

  it('forgets the oldest verified tokens past its bound and still verifies them afresh', async () => {
    const first = await issueToken(secret, { userId: 1, tokenVersion: 0 }, 3600, now);
    expect(await readToken(secret, first.token, now)).toBeDefined();
    for (let i = 0; i <= VERIFIED_TOKENS_KEPT; i++) {
      const t = await issueToken(secret, { userId: 100 + i, tokenVersion: 0 }, 3600, now);
      expect(await readToken(secret, t.token, now)).toEqual({ userId: 100 + i, tokenVersion: 0 });
    }
    expect(await readToken(secret, first.token, now)).toEqual({ userId: 1, tokenVersion: 0 });
  });
});
