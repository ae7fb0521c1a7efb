import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOGIN_LIMITS } from '../../src/services/login-throttle';
import { formatBytes, type Problem, problemMessage } from '../../web/app/messages';
import { png } from '../support/images';
import { dataDir, serverEnv, startInProcess } from '../support/node/servers';

// What the web app says about each refusal, from the problems a real server returns: a Node
// server with a one-image quota and a small upload limit.

const MAX_UPLOAD = 64 * 1024;

describe('the web app’s messages for the API’s problems', () => {
  let server: Awaited<ReturnType<typeof startInProcess>>;
  let data: Awaited<ReturnType<typeof dataDir>>;
  let auth: Record<string, string> = {};
  const credentials = { email: `messages-${crypto.randomUUID()}@example.com`, password: 'correct horse battery' };
  const json = { 'content-type': 'application/json' };

  /** The message for a refused response, as the app makes it. */
  async function messageFor(res: Response): Promise<string> {
    expect(res.ok).toBe(false);
    return problemMessage(res.status, (await res.json()) as Problem, res.headers.get('retry-after'));
  }
  const upload = (bytes: Uint8Array<ArrayBuffer>, name: string) => {
    const form = new FormData();
    form.append('image', new File([bytes], name));
    return fetch(`${server.origin}/api/v1/images`, { method: 'POST', headers: auth, body: form });
  };

  beforeAll(async () => {
    data = await dataDir();
    server = await startInProcess(serverEnv(data.dir, { QUOTA_MAX_IMAGES: '1', MAX_UPLOAD_BYTES: String(MAX_UPLOAD) }));
    const body = JSON.stringify(credentials);
    await fetch(`${server.origin}/api/v1/user/register`, { method: 'POST', headers: json, body });
    const login = await fetch(`${server.origin}/api/v1/user/login`, { method: 'POST', headers: json, body });
    auth = { authorization: `Bearer ${((await login.json()) as { token: string }).token}` };
  });
  afterAll(async () => {
    await server?.shutdown('tests done');
    await data?.remove();
  });

  it('an unsupported type (415)', async () => {
    const res = await upload(new TextEncoder().encode('just some notes'), 'notes.txt');
    expect(res.status).toBe(415);
    expect(await messageFor(res)).toBe(
      'Not an image this service accepts: use PNG, JPEG, GIF, WebP, AVIF, BMP or TIFF.',
    );
  });

  it('a file over the upload limit (413), with the server’s own detail', async () => {
    const res = await upload(new Uint8Array(MAX_UPLOAD + 1024), 'huge.png');
    expect(res.status).toBe(413);
    const message = await messageFor(res);
    expect(message).toMatch(/^Too large\. \S/);
    expect(message).toContain(String(MAX_UPLOAD));
  });

  it('a full quota, saying how full', async () => {
    expect((await upload(await png(4, 4), 'first.png')).status).toBe(201);
    const res = await upload(await png(4, 4), 'second.png');
    expect(res.status).toBe(403);
    expect(await messageFor(res)).toBe('Your quota is full: you store 1 of 1 images. Delete some to upload more.');
    expect(
      problemMessage(
        413,
        { quota: { limit: 'bytes', max: 10 * 1024 ** 3, used: 10 * 1024 ** 3 - 5, requested: 9 } },
        null,
      ),
    ).toBe('Your quota is full: 10 GiB of 10 GiB used. Delete some images to upload more.');
  });

  it('throttled sign-ins (429), with the wait from Retry-After', async () => {
    const wrong = JSON.stringify({ ...credentials, password: 'not the password' });
    let res: Response | undefined;
    for (let i = 0; i <= LOGIN_LIMITS.pair.maxFailures; i++) {
      res = await fetch(`${server.origin}/api/v1/user/login`, { method: 'POST', headers: json, body: wrong });
      if (res.status === 429) break;
      await res.body?.cancel();
    }
    expect(res?.status).toBe(429);
    const wait = Number(res?.headers.get('retry-after'));
    expect(wait).toBeGreaterThan(1);
    expect(await messageFor(res as Response)).toBe(`Too many attempts. Try again in ${wait} seconds.`);
  });

  it('field errors, and no server at all', async () => {
    const res = await fetch(`${server.origin}/api/v1/user/register`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ email: 'not an address', password: 'x' }),
    });
    expect(res.status).toBeGreaterThanOrEqual(400);
    const message = await messageFor(res);
    expect(message.length).toBeGreaterThan(20);
    expect(message).not.toContain('undefined');
    expect(problemMessage(0, undefined, null)).toMatch(/cannot be reached/);
    expect(formatBytes(1536)).toBe('1.5 KiB');
  });
});
