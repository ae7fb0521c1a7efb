import { describe, expect, it } from 'vitest';
import { loadSettings, SettingsError } from '../../src/runtime/settings';
import { dataDir, runToExit } from './support/servers';

const SECRET = 'k'.repeat(64);
const noDevVars = () => undefined;
const KEYS = { AWS_ACCESS_KEY_ID: 'id', AWS_SECRET_ACCESS_KEY: 'secret' };
const load = (env: Record<string, string>) => loadSettings({ AUTH_SECRET: SECRET, ...env }, noDevVars);

describe('S3 store settings', () => {
  it('no S3_BUCKET: the directory store, even with AWS keys in the environment', () => {
    expect(load({}).s3).toBeUndefined();
    expect(load({ ...KEYS, AWS_REGION: 'eu-west-1' }).s3).toBeUndefined();
    expect(load({ S3_BUCKET: '' }).s3).toBeUndefined();
  });

  it('S3_BUCKET with an endpoint and keys: the S3 store, region auto unless given', () => {
    expect(load({ S3_BUCKET: 'images', S3_ENDPOINT: 'http://127.0.0.1:9000', ...KEYS }).s3).toEqual({
      bucket: 'images',
      endpoint: 'http://127.0.0.1:9000',
      accessKeyId: 'id',
      secretAccessKey: 'secret',
      region: 'auto',
    });
    expect(
      load({ S3_BUCKET: 'images', S3_ENDPOINT: 'https://acc.r2.cloudflarestorage.com', ...KEYS, AWS_REGION: 'weur' }).s3
        ?.region,
    ).toBe('weur');
    expect(load({ S3_BUCKET: 'images', ...KEYS, AWS_REGION: 'eu-west-1' }).s3).toEqual({
      bucket: 'images',
      accessKeyId: 'id',
      secretAccessKey: 'secret',
      region: 'eu-west-1',
    });
  });

  it.each([
    [
      { S3_BUCKET: 'images', S3_ENDPOINT: 'http://127.0.0.1:9000' },
      /AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not/,
    ],
    [
      { S3_BUCKET: 'images', S3_ENDPOINT: 'http://127.0.0.1:9000', AWS_ACCESS_KEY_ID: 'id' },
      /AWS_SECRET_ACCESS_KEY is not/,
    ],
    [{ S3_ENDPOINT: 'http://127.0.0.1:9000', ...KEYS }, /S3_ENDPOINT is set but S3_BUCKET is not/],
    [{ S3_BUCKET: 'images', ...KEYS }, /needs AWS_REGION/],
    [{ S3_BUCKET: 'Images_Here', S3_ENDPOINT: 'http://127.0.0.1:9000', ...KEYS }, /is not a bucket name/],
    [{ S3_BUCKET: 'images', S3_ENDPOINT: '127.0.0.1:9000', ...KEYS }, /must be an http\(s\) origin|is not a URL/],
    [{ S3_BUCKET: 'images', S3_ENDPOINT: 'ftp://127.0.0.1', ...KEYS }, /must be an http\(s\) origin/],
  ])('refuses a partial or malformed S3 configuration: %o', (env, message) => {
    expect(() => load(env)).toThrow(SettingsError);
    expect(() => load(env)).toThrow(message);
  });

  it('the Node entry refuses to start on S3_BUCKET without keys, saying which are missing', async () => {
    const data = await dataDir();
    try {
      const run = await runToExit(
        'node',
        { ...data.env, S3_BUCKET: 'images', S3_ENDPOINT: 'http://127.0.0.1:9' },
        data.dir,
      );
      expect(run.code).toBe(1);
      expect(run.output).toMatch(
        /refusing to start: S3_BUCKET is set but AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not/,
      );
    } finally {
      await data.remove();
    }
  }, 60_000);
});
