import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { devVarsSecret, loadSettings, SettingsError } from '../../src/runtime/settings';

const SECRET = 'k'.repeat(64);
const noDevVars = () => undefined;

describe('Node/Bun settings', () => {
  it('defaults to localhost:8000 with data under ./data, and the Workers defaults for the rest', () => {
    const s = loadSettings({ AUTH_SECRET: SECRET }, noDevVars);
    expect(s).toMatchObject({
      host: 'localhost',
      port: 8000,
      databaseUrl: 'file:./data/imageapi.db',
      imagesDir: './data/images',
      trustProxy: false,
      development: false,
      warnings: [],
    });
    expect(s.config).toEqual({
      sessionTtlSeconds: 86_400,
      secureCookies: 'auto',
      corsOrigins: [],
      maxUploadBytes: 100 * 1024 * 1024,
      maxSessionUploadBytes: 5 * 1024 ** 3,
      uploadPartBytes: 8 * 1024 * 1024,
      uploadSessionTtlMs: 86_400_000,
      maxVariantPixels: 50_000_000,
      maxVariantsPerImage: 16,
      authSecret: SECRET,
      authSecretProblem: undefined,
      quotaMaxBytes: 10 * 1024 ** 3,
      quotaMaxImages: 100_000,
      adminEmailsIgnored: false,
      usageFlushMs: 5_000,
      dbTimeoutMs: 10_000,
      storeTimeoutMs: 30_000,
      bodyIdleMs: 30_000,
      bodyMinBytesPerSecond: 8192,
      bodyMaxMs: 3_600_000,
      concurrentUploadsPerUser: 8,
      concurrentUploadsPerAddress: 16,
    });
  });

  it('reads every setting from the environment under the Workers names', () => {
    const s = loadSettings(
      {
        HOST: '0.0.0.0',
        PORT: '9000',
        DATABASE_URL: 'libsql://db.example.com',
        DATABASE_AUTH_TOKEN: 'tok',
        IMAGES_DIR: '/srv/images',
        TRUST_PROXY: 'true',
        AUTH_SECRET: SECRET,
        SESSION_TTL_SECONDS: '600',
        MAX_UPLOAD_BYTES: '1000',
        SECURE_COOKIES: 'true',
        CORS_ORIGINS: 'https://a.example, https://b.example/',
        QUOTA_MAX_BYTES: '0',
        QUOTA_MAX_IMAGES: '25',
        ADMIN_EMAILS: ' Ops@Example.com ,root@example.com,',
        USAGE_FLUSH_SECONDS: '0.5',
        MAX_VARIANT_PIXELS: '1000000',
        MAX_VARIANTS_PER_IMAGE: '0',
      },
      noDevVars,
    );
    expect(s).toMatchObject({
      host: '0.0.0.0',
      port: 9000,
      databaseUrl: 'libsql://db.example.com',
      databaseAuthToken: 'tok',
      imagesDir: '/srv/images',
      trustProxy: true,
    });
    expect(s.config).toMatchObject({
      sessionTtlSeconds: 600,
      maxUploadBytes: 1000,
      secureCookies: 'always',
      corsOrigins: ['https://a.example', 'https://b.example'],
      quotaMaxBytes: 0,
      quotaMaxImages: 25,
      adminEmailsIgnored: true,
      usageFlushMs: 500,
      maxVariantPixels: 1_000_000,
      maxVariantsPerImage: 0,
    });
  });

  it('treats empty variables as unset', () => {
    const s = loadSettings({ AUTH_SECRET: SECRET, PORT: '', HOST: '', MAX_UPLOAD_BYTES: '' }, noDevVars);
    expect(s).toMatchObject({ host: 'localhost', port: 8000 });
    expect(s.config.maxUploadBytes).toBe(100 * 1024 * 1024);
  });

  it.each([
    [{ PORT: '70000' }, /PORT/],
    [{ PORT: 'eighty' }, /PORT/],
    [{ MAX_UPLOAD_BYTES: '-1' }, /MAX_UPLOAD_BYTES/],
    [{ MAX_VARIANT_PIXELS: '0' }, /MAX_VARIANT_PIXELS/],
    [{ MAX_VARIANTS_PER_IMAGE: '-1' }, /MAX_VARIANTS_PER_IMAGE/],
    [{ MAX_VARIANTS_PER_IMAGE: '1.5' }, /MAX_VARIANTS_PER_IMAGE/],
    [{ SECURE_COOKIES: 'yes' }, /SECURE_COOKIES/],
    [{ CORS_ORIGINS: 'not a url' }, /CORS_ORIGINS/],
    [{ TRUST_PROXY: 'yes' }, /TRUST_PROXY/],
    [{ QUOTA_MAX_BYTES: '-1' }, /QUOTA_MAX_BYTES/],
    [{ QUOTA_MAX_IMAGES: 'many' }, /QUOTA_MAX_IMAGES/],
    [{ USAGE_FLUSH_SECONDS: '30' }, /USAGE_FLUSH_SECONDS/],
  ])('refuses %j, naming it', (env, message) => {
    expect(() => loadSettings({ AUTH_SECRET: SECRET, ...env }, noDevVars)).toThrow(SettingsError);
    expect(() => loadSettings({ AUTH_SECRET: SECRET, ...env }, noDevVars)).toThrow(message);
  });

  describe('AUTH_SECRET', () => {
    it.each([
      ['missing', {}],
      ['short', { AUTH_SECRET: 'short' }],
      ['missing in production', { NODE_ENV: 'production' }],
      ['31 bytes', { AUTH_SECRET: 'x'.repeat(31) }],
    ])('%s outside development refuses to start with a clear message', (_label, env) => {
      expect(() => loadSettings(env, () => SECRET)).toThrow(SettingsError);
      expect(() => loadSettings(env, () => SECRET)).toThrow(/AUTH_SECRET .*at least 32/);
    });

    it('in development comes from .dev.vars when the environment has none', () => {
      const s = loadSettings({ NODE_ENV: 'development' }, () => SECRET);
      expect(s.development).toBe(true);
      expect(s.config.authSecret).toBe(SECRET);
      expect(s.warnings).toEqual([expect.stringContaining('.dev.vars')]);
    });

    it('in development is random and per process when .dev.vars has none either', () => {
      const a = loadSettings({ NODE_ENV: 'development', AUTH_SECRET: 'short' }, noDevVars);
      const b = loadSettings({ NODE_ENV: 'development' }, () => 'also short');
      expect(a.config.authSecret).toMatch(/^[0-9a-f]{64}$/);
      expect(b.config.authSecret).toMatch(/^[0-9a-f]{64}$/);
      expect(a.config.authSecret).not.toBe(b.config.authSecret);
      expect(a.warnings).toEqual([expect.stringMatching(/32 are required; using a random secret/)]);
    });

    it('from the environment wins over .dev.vars, with no warning', () => {
      const s = loadSettings({ NODE_ENV: 'development', AUTH_SECRET: SECRET }, () => 'z'.repeat(64));
      expect(s.config.authSecret).toBe(SECRET);
      expect(s.warnings).toEqual([]);
    });
  });

  it('reads AUTH_SECRET from a wrangler-style .dev.vars, quoted or not', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'imageapi-devvars-'));
    try {
      const file = join(dir, '.dev.vars');
      expect(devVarsSecret(file)).toBeUndefined();
      await writeFile(file, `OTHER=1\r\nAUTH_SECRET = "${SECRET}"\n`);
      expect(devVarsSecret(file)).toBe(SECRET);
      await writeFile(file, `AUTH_SECRET=${SECRET}\n`);
      expect(devVarsSecret(file)).toBe(SECRET);
      await writeFile(file, 'AUTH_SECRET=\n');
      expect(devVarsSecret(file)).toBeUndefined();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
