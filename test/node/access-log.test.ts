import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, form, json, newUser, type TestUser } from '../support/client';
import { png } from '../support/images';
import { upload } from '../support/upload';
import { type ChildServer, dataDir, type EntryRuntime, httpTarget, spawnEntry } from './support/servers';

// The real entries (as `npm run start:node` / `start:bun` run them) write one JSON line per
// request on stdout: method, route pattern, status, duration, bytes, request id; and never a
// password, token, cookie or query value.
describe.each(['node', 'bun'] as EntryRuntime[])('%s access log', (runtime) => {
  let server: ChildServer;
  let remove: () => Promise<void>;
  let user: TestUser;
  const target = () => httpTarget(runtime, server.origin);

  beforeAll(async () => {
    const data = await dataDir();
    remove = data.remove;
    server = await spawnEntry(runtime, data.env, data.dir);
    user = await newUser(target(), 'log');
  });
  afterAll(async () => {
    await server?.stop();
    await remove?.();
  });

  const requestLines = () => server.events().filter((e) => e.message === 'request');

  /** The log line of the response that carried `X-Request-Id: id` (it may lag the response a little). */
  async function lineFor(res: Response): Promise<Record<string, unknown>> {
    const id = res.headers.get('x-request-id');
    expect(id).toBeTruthy();
    for (let i = 0; i < 100; i++) {
      const line = requestLines().find((e) => e.request_id === id);
      if (line) return line;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`no access-log line for request ${id}:\n${server.output()}`);
  }

  it('logs a JSON response with its route pattern and exact body size, and still sends Content-Length', async () => {
    const res = await target().fetch('/api/v1/images?tag=cat&limit=5', { headers: bearer(user) });
    const body = await res.arrayBuffer();
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe(String(body.byteLength));
    const line = await lineFor(res);
    expect(line).toMatchObject({
      level: 'info',
      method: 'GET',
      route: '/api/v1/images',
      status: 200,
      bytes: body.byteLength,
    });
    expect(typeof line.duration_ms).toBe('number');
    expect(line.duration_ms as number).toBeGreaterThanOrEqual(0);
    expect(Object.keys(line).sort()).toEqual(
      ['level', 'message', 'method', 'route', 'status', 'duration_ms', 'bytes', 'request_id'].sort(),
    );
  });

  it('names the pattern, not the path, and counts image bytes', async () => {
    const bytes = await png(7, 5);
    const created = await upload(target(), user, bytes, { tags: ['x'] });
    const res = await target().fetch(`/api/v1/images/${created.id}/file`, { headers: bearer(user) });
    expect((await res.arrayBuffer()).byteLength).toBe(bytes.byteLength);
    expect(await lineFor(res)).toMatchObject({
      method: 'GET',
      route: '/api/v1/images/:id/file',
      status: 200,
      bytes: bytes.byteLength,
    });
  });

  it('logs errors and unmatched paths too: HEAD as 0 bytes, a 404 without a route', async () => {
    const head = await target().fetch('/healthz', { method: 'HEAD' });
    expect(await lineFor(head)).toMatchObject({ method: 'HEAD', route: '/healthz', status: 200, bytes: 0 });
    const missing = await target().fetch('/no/such/thing?x=1');
    const text = await missing.text();
    expect(await lineFor(missing)).toMatchObject({ route: null, status: 404, bytes: Buffer.byteLength(text) });
    const denied = await target().fetch('/api/v1/user');
    await denied.arrayBuffer();
    expect(await lineFor(denied)).toMatchObject({ route: '/api/v1/user', status: 401 });
  });

  it('never writes a password, token, cookie or query value', async () => {
    const password = `pw-${crypto.randomUUID()}`;
    const secretQuery = `q-${crypto.randomUUID()}`;
    const registered = await target().fetch(
      '/api/v1/user/register',
      json({ email: `s-${secretQuery}@example.com`, password }),
    );
    await registered.arrayBuffer();
    const login = await target().fetch(
      '/api/user/login',
      form([
        ['email', `s-${secretQuery}@example.com`],
        ['password', password],
      ]),
    );
    const { token } = (await login.json()) as { token: string };
    const cookie = login.headers.get('set-cookie')?.split(';')[0] ?? '';
    const listed = await target().fetch(`/api/v1/images?tag=${secretQuery}&access_token=${token}`, {
      headers: { authorization: `Bearer ${token}`, cookie },
    });
    await listed.arrayBuffer();
    await lineFor(listed);
    const out = server.output();
    for (const secret of [password, token, cookie.split('=')[1] ?? 'x', secretQuery]) {
      expect(out).not.toContain(secret);
    }
  });
});
