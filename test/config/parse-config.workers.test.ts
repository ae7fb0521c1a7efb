import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config';

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
      maxSessionUploadBytes: 5 * 1024 ** 3,
      uploadPartBytes: 8 * 1024 ** 2,
      uploadSessionTtlMs: 86_400_000,
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
      MAX_SESSION_UPLOAD_BYTES: '1048576',
      UPLOAD_PART_BYTES: '65536',
      UPLOAD_SESSION_TTL_SECONDS: '600',
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
      maxSessionUploadBytes: 1_048_576,
      uploadPartBytes: 65_536,
      uploadSessionTtlMs: 600_000,
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
