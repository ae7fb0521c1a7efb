import { describe, expect, it, vi } from 'vitest';
import {
  constantTimeEqual,
  DECOY_HASH,
  hashPassword,
  needsRehash,
  PBKDF2_ITERATIONS,
  preparePassword,
  verifyPassword,
} from '../../../src/auth/password';
import { ISSUED_AT_SKEW_SECONDS, issueToken, readToken, VERIFIED_TOKENS_KEPT } from '../../../src/auth/token';
import { MIN_SECRET_BYTES, parseConfig } from '../../../src/config';

const bytes = (...values: number[]) => Uint8Array.from(values);

describe('constantTimeEqual', () => {
  it.each([
    ['equal', bytes(1, 2, 3), bytes(1, 2, 3), true],
    ['both empty', bytes(), bytes(), true],
    ['differ in the first byte', bytes(9, 2, 3), bytes(1, 2, 3), false],
    ['differ in the last byte', bytes(1, 2, 3), bytes(1, 2, 4), false],
    ['one bit apart', bytes(0b1000_0000), bytes(0), false],
    ['a prefix of the other', bytes(1, 2), bytes(1, 2, 3), false],
    ['longer than the other', bytes(1, 2, 3, 0), bytes(1, 2, 3), false],
    ['one empty', bytes(), bytes(0), false],
  ])('%s → %s', (_label, a, b, expected) => {
    expect(constantTimeEqual(a, b)).toBe(expected);
    expect(constantTimeEqual(b, a)).toBe(expected);
  });
});

describe('password hashing', () => {
  it('verifies the right password and refuses a wrong or missing one', async () => {
    const stored = await hashPassword('correct horse battery staple');
    expect(await verifyPassword('correct horse battery staple', stored)).toBe(true);
    expect(await verifyPassword('correct horse battery stapl', stored)).toBe(false);
    expect(await verifyPassword('Correct horse battery staple', stored)).toBe(false);
    expect(await verifyPassword('correct horse battery staple', undefined)).toBe(false);
  });

  it('hashes the exact characters, including non-ASCII', async () => {
    const stored = await hashPassword('pässwörd 🔑');
    expect(await verifyPassword('pässwörd 🔑', stored)).toBe(true);
    expect(await verifyPassword('pässwörd 🗝', stored)).toBe(false);
  });

  it('prepares passwords as RFC 8265 OpaqueString: NFC, non-ASCII spaces to U+0020', async () => {
    const nfc = 'caf\u00e9 cr\u00e8me br\u00fbl\u00e9e';
    const nfd = nfc.normalize('NFD');
    expect(nfd).not.toBe(nfc);
    expect(preparePassword(nfd)).toBe(nfc);
    expect(preparePassword('a\u00a0b\u2003c')).toBe('a b c');
    // Width is preserved (OpaqueString does no width mapping): full-width A stays itself.
    expect(preparePassword('\uff21')).toBe('\uff21');
    const stored = await hashPassword(nfd);
    expect(await verifyPassword(nfc, stored)).toBe(true);
    expect(await verifyPassword(nfd, stored)).toBe(true);
    expect(await verifyPassword('cafe creme brulee', stored)).toBe(false);
  });

  it('verifies an older hash of the raw password typed either way, and flags it for rehashing', async () => {
    const nfc = 'na\u00efve password';
    const salt = crypto.getRandomValues(new Uint8Array(16));
    const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(nfc), 'PBKDF2', false, ['deriveBits']);
    const hash = new Uint8Array(
      await crypto.subtle.deriveBits(
        { name: 'PBKDF2', hash: 'SHA-256', salt, iterations: PBKDF2_ITERATIONS },
        key,
        256,
      ),
    );
    const b64 = (u: Uint8Array) => btoa(String.fromCharCode(...u));
    const stored = `pbkdf2-sha256$${PBKDF2_ITERATIONS}$${b64(salt)}$${b64(hash)}`;
    expect(await verifyPassword(nfc, stored)).toBe(true);
    expect(await verifyPassword(nfc.normalize('NFD'), stored)).toBe(true);
    expect(await verifyPassword('naive password', stored)).toBe(false);
    expect(needsRehash(stored)).toBe(true);
  });

  it('still verifies hashes made with fewer iterations, and flags them for rehashing', async () => {
    const salt = crypto.getRandomValues(new Uint8Array(16));
    const key = await crypto.subtle.importKey('raw', new TextEncoder().encode('legacy password'), 'PBKDF2', false, [
      'deriveBits',
    ]);
    const hash = new Uint8Array(
      await crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations: 1000 }, key, 256),
    );
    const b64 = (u: Uint8Array) => btoa(String.fromCharCode(...u));
    const stored = `pbkdf2-sha256$1000$${b64(salt)}$${b64(hash)}`;
    expect(await verifyPassword('legacy password', stored)).toBe(true);
    expect(await verifyPassword('other password', stored)).toBe(false);
    expect(needsRehash(stored)).toBe(true);
    expect(needsRehash(await hashPassword('x'))).toBe(false);
  });

  it.each([
    '',
    'plain text',
    'pbkdf2-sha256$abc$AAAA$AAAA',
    'pbkdf2-sha256$0$AAAA$AAAA',
    'pbkdf2-sha256$100000$$AAAA',
    'pbkdf2-sha256$100000$AAAA$',
    'pbkdf2-sha256$100000$!!!$AAAA',
    `pbkdf2-sha256$${PBKDF2_ITERATIONS + 1}$AAAAAAAAAAAAAAAAAAAAAA==$AAAA`,
    'sha1$100000$AAAA$AAAA',
  ])('refuses every password against an unreadable stored hash %j', async (stored) => {
    expect(await verifyPassword('decoy password never matches', stored)).toBe(false);
    expect(await verifyPassword('anything at all', stored)).toBe(false);
    expect(needsRehash(stored)).toBe(true);
  });
});

describe('the decoy hash (unknown emails)', () => {
  it("is a constant with today's parameters: 16-byte salt, 32-byte hash", () => {
    expect(needsRehash(DECOY_HASH)).toBe(false);
    const [, iterations, salt, hash] = DECOY_HASH.split('$');
    expect(Number(iterations)).toBe(PBKDF2_ITERATIONS);
    expect(atob(salt ?? '')).toHaveLength(16);
    expect(atob(hash ?? '')).toHaveLength(32);
  });

  it('costs exactly one derivation, with the decoy salt, and never matches', async () => {
    const derive = vi.spyOn(crypto.subtle, 'deriveBits');
    try {
      expect(await verifyPassword('anything at all', undefined)).toBe(false);
      expect(derive).toHaveBeenCalledTimes(1);
      const [params] = derive.mock.calls[0] ?? [];
      const salt = new Uint8Array((params as { salt: ArrayBuffer }).salt);
      expect(btoa(String.fromCharCode(...salt))).toBe(DECOY_HASH.split('$')[2]);
    } finally {
      derive.mockRestore();
    }
  });
});

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

describe('parseConfig', () => {
  it('applies the documented defaults', () => {
    const config = parseConfig({});
    expect(config).toEqual({
      sessionTtlSeconds: 86_400,
      secureCookies: 'auto',
      corsOrigins: [],
      maxUploadBytes: 100 * 1024 * 1024,
      maxVariantPixels: 50_000_000,
      maxVariantsPerImage: 16,
      authSecret: undefined,
      authSecretProblem: 'AUTH_SECRET is not set',
      dbTimeoutMs: 10_000,
      storeTimeoutMs: 30_000,
      quotaMaxBytes: 10 * 1024 ** 3,
      quotaMaxImages: 100_000,
      adminEmailsIgnored: false,
      usageFlushMs: 5_000,
      bodyIdleMs: 30_000,
      bodyMinBytesPerSecond: 8192,
      bodyMaxMs: 3_600_000,
      concurrentUploadsPerUser: 8,
      concurrentUploadsPerAddress: 16,
    });
  });

  it('treats empty strings (unset vars) as defaults', () => {
    const config = parseConfig({ SESSION_TTL_SECONDS: '', SECURE_COOKIES: '', CORS_ORIGINS: '', MAX_UPLOAD_BYTES: '' });
    expect(config.sessionTtlSeconds).toBe(86_400);
    expect(config.secureCookies).toBe('auto');
    expect(config.corsOrigins).toEqual([]);
  });

  it('reads wrangler-style string vars', () => {
    const secret = 'k'.repeat(32);
    const config = parseConfig({
      SESSION_TTL_SECONDS: '3600',
      SECURE_COOKIES: 'true',
      CORS_ORIGINS: ' https://a.example.com/ ,http://localhost:5173',
      MAX_UPLOAD_BYTES: '1024',
      AUTH_SECRET: secret,
      DB_TIMEOUT_MS: '2500',
      STORE_TIMEOUT_MS: '60000',
      QUOTA_MAX_BYTES: '0',
      QUOTA_MAX_IMAGES: '10',
      ADMIN_EMAILS: 'Ops@Example.com',
      USAGE_FLUSH_SECONDS: '0',
      BODY_IDLE_SECONDS: '2.5',
      BODY_MIN_BYTES_PER_SECOND: '0',
      CONCURRENT_UPLOADS_PER_USER: '1',
      CONCURRENT_UPLOADS_PER_ADDRESS: '0',
      UNRELATED: 'ignored',
    });
    expect(config).toEqual({
      sessionTtlSeconds: 3600,
      secureCookies: 'always',
      corsOrigins: ['https://a.example.com', 'http://localhost:5173'],
      maxUploadBytes: 1024,
      maxVariantPixels: 50_000_000,
      maxVariantsPerImage: 16,
      authSecret: secret,
      authSecretProblem: undefined,
      dbTimeoutMs: 2500,
      storeTimeoutMs: 60_000,
      quotaMaxBytes: 0,
      quotaMaxImages: 10,
      adminEmailsIgnored: true,
      usageFlushMs: 0,
      bodyIdleMs: 2500,
      bodyMinBytesPerSecond: 0,
      bodyMaxMs: 3_600_000,
      concurrentUploadsPerUser: 1,
      concurrentUploadsPerAddress: 0,
    });
    expect(parseConfig({ SECURE_COOKIES: 'false' }).secureCookies).toBe('never');
  });

  it('keeps CORS origins in the form browsers send them (lower-case host, no default port)', () => {
    expect(
      parseConfig({ CORS_ORIGINS: 'HTTPS://App.Example.COM:443,http://LOCALHOST:80/,http://localhost:5173' })
        .corsOrigins,
    ).toEqual(['https://app.example.com', 'http://localhost', 'http://localhost:5173']);
  });

  it('counts the secret in UTF-8 bytes and never keeps a short one', () => {
    const short = parseConfig({ AUTH_SECRET: '€'.repeat(10) }); // 30 bytes
    expect(short.authSecret).toBeUndefined();
    expect(short.authSecretProblem).toBe('AUTH_SECRET is 30 bytes; at least 32 are required');
    expect(short.authSecretProblem).not.toContain('€');
    expect(parseConfig({ AUTH_SECRET: '€'.repeat(11) }).authSecret).toBe('€'.repeat(11));
  });

  it.each([
    ['SESSION_TTL_SECONDS', 'soon'],
    ['SESSION_TTL_SECONDS', '10'],
    ['SESSION_TTL_SECONDS', '1.5'],
    ['SESSION_TTL_SECONDS', String(10 * 365 * 86_400)],
    ['SECURE_COOKIES', 'yes'],
    ['CORS_ORIGINS', 'not a url'],
    ['CORS_ORIGINS', 'ftp://files.example.com'],
    ['CORS_ORIGINS', 'https://app.example.com/path'],
    ['CORS_ORIGINS', 'https://app.example.com/?x=1'],
    ['CORS_ORIGINS', 'https://user:pw@app.example.com'],
    ['CORS_ORIGINS', '*'],
    ['MAX_UPLOAD_BYTES', '-1'],
    ['MAX_UPLOAD_BYTES', 'lots'],
  ])('refuses %s=%j, naming the setting', (name, value) => {
    expect(() => parseConfig({ [name]: value })).toThrow(new RegExp(`Invalid configuration: .*${name}`));
  });

  it('names every bad setting at once', () => {
    expect(() => parseConfig({ SESSION_TTL_SECONDS: 'x', SECURE_COOKIES: 'y' })).toThrow(
      /SESSION_TTL_SECONDS.*SECURE_COOKIES|SECURE_COOKIES.*SESSION_TTL_SECONDS/,
    );
  });
});
