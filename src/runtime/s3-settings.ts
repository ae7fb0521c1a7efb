/**
 * Which image store a Node or Bun server uses: `S3_BUCKET` set means an S3-compatible bucket
 * (shared by every server pointed at it), unset the directory store under IMAGES_DIR.
 */
import type { S3Settings } from '../storage/s3';
import type { EnvVars } from './settings';

/** Thrown for a partial or malformed S3 configuration; settings.ts turns it into a SettingsError. */
export class S3SettingsError extends Error {
  override name = 'S3SettingsError';
}

/** The S3 store's settings, or undefined for the directory store; throws on a half-made configuration. */
export function s3SettingsFrom(env: EnvVars): S3Settings | undefined {
  const value = (name: string) => {
    const v = env[name]?.trim();
    return v ? v : undefined;
  };
  const bucket = value('S3_BUCKET');
  if (!bucket) {
    // Credentials alone are common in a shell (other AWS tools); only an S3 endpoint is a sign of intent.
    if (value('S3_ENDPOINT')) {
      throw new S3SettingsError(
        'S3_ENDPOINT is set but S3_BUCKET is not: set S3_BUCKET to store images in S3, or unset S3_ENDPOINT',
      );
    }
    return undefined;
  }
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
    throw new S3SettingsError(
      `S3_BUCKET ${JSON.stringify(bucket)} is not a bucket name (3 to 63 lowercase letters, digits, dots and hyphens)`,
    );
  }
  const missing = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'].filter((name) => !value(name));
  if (missing.length > 0) {
    throw new S3SettingsError(
      `S3_BUCKET is set but ${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not: the S3 store needs both keys`,
    );
  }
  const endpoint = value('S3_ENDPOINT');
  if (endpoint) {
    let url: URL;
    try {
      url = new URL(endpoint);
    } catch {
      throw new S3SettingsError(`S3_ENDPOINT ${JSON.stringify(endpoint)} is not a URL, e.g. http://127.0.0.1:9000`);
    }
    if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.search || url.hash || url.username) {
      throw new S3SettingsError(
        `S3_ENDPOINT ${JSON.stringify(endpoint)} must be an http(s) origin, e.g. https://<account>.r2.cloudflarestorage.com`,
      );
    }
  }
  const region = value('AWS_REGION') ?? 'auto';
  if (!endpoint && region === 'auto') {
    throw new S3SettingsError('S3_BUCKET without S3_ENDPOINT means AWS S3, which needs AWS_REGION (e.g. eu-west-1)');
  }
  return {
    bucket,
    ...(endpoint ? { endpoint } : {}),
    accessKeyId: value('AWS_ACCESS_KEY_ID') as string,
    secretAccessKey: value('AWS_SECRET_ACCESS_KEY') as string,
    region,
  };
}
