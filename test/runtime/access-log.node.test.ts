import { Hono } from 'hono';
import { requestId } from 'hono/request-id';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessLog } from '../../src/http/access-log';
import type { AppEnv } from '../../src/http/app-env';
import { bearer, form, json, newUser, type TestUser } from '../support/client';
import { png } from '../support/images';
import { type ChildServer, dataDir, type EntryRuntime, httpTarget, spawnEntry } from '../support/node/servers';
import { upload } from '../support/upload';

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

  it('sends a legacy list that fits one page whole, with its Content-Length, and logs that size', async () => {
    await upload(target(), user, await png(2, 2), { tags: ['one-page'] });
    const res = await target().fetch('/api/images', { headers: bearer(user) });
    const body = new Uint8Array(await res.arrayBuffer());
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe(String(body.byteLength));
    expect(Array.isArray(JSON.parse(new TextDecoder().decode(body)))).toBe(true);
    expect(await lineFor(res)).toMatchObject({ route: '/api/images', status: 200, bytes: body.byteLength });
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

// The middleware on its own: how it learns a body's size without reading or copying it.
describe('access log middleware', () => {
  function appWithLog() {
    const lines: Record<string, unknown>[] = [];
    const logger = { info: (message: string, f?: object) => lines.push({ message, ...f }), warn() {}, error() {} };
    const app = new Hono<AppEnv>().use(requestId()).use(accessLog(logger));
    return { app, lines };
  }

  it('counts a streamed body of unknown length as it is sent, and writes the line when it ends', async () => {
    const { app, lines } = appWithLog();
    const chunks = ['[1,', '"é",', '"😀"]'];
    app.get('/stream', (c) =>
      c.body(
        new ReadableStream<Uint8Array>({
          start(ctl) {
            for (const s of chunks) ctl.enqueue(new TextEncoder().encode(s));
            ctl.close();
          },
        }),
        200,
        { 'Content-Type': 'application/json' },
      ),
    );
    const res = await app.request('/stream');
    expect(res.headers.get('content-length')).toBeNull();
    expect(lines).toEqual([]); // nothing sent yet, so nothing counted
    const body = new Uint8Array(await res.arrayBuffer());
    expect(new TextDecoder().decode(body)).toBe(chunks.join(''));
    expect(lines).toEqual([expect.objectContaining({ route: '/stream', status: 200, bytes: body.byteLength })]);
  });

  it('still writes the line when the client stops reading a stream midway', async () => {
    const { app, lines } = appWithLog();
    app.get('/endless', (c) =>
      c.body(new ReadableStream<Uint8Array>({ pull: (ctl) => ctl.enqueue(new Uint8Array(10)) }), 200),
    );
    const res = await app.request('/endless');
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    await reader.cancel();
    expect(lines).toEqual([expect.objectContaining({ route: '/endless', bytes: 10 })]);
  });

  it('takes the size of JSON, text and byte bodies from what they were built from, UTF-8 exact', async () => {
    const { app, lines } = appWithLog();
    const doc = { name: 'straße ☕ 😀', lone: '\ud800' };
    app.get('/json', (c) => c.json(doc, 201, { 'X-Extra': '1' }));
    // A lone surrogate is sent as U+FFFD: 3 bytes.
    app.get('/text', (c) => c.text('naïve \ud800 \udc00x'));
    app.get('/bytes', (c) => c.body(new Uint8Array(7)));
    for (const path of ['/json', '/text', '/bytes']) {
      const res = await app.request(path);
      const sent = (await res.arrayBuffer()).byteLength;
      expect(lines.at(-1), path).toMatchObject({ route: path, bytes: sent });
    }
    const json = await app.request('/json');
    expect(json.status).toBe(201);
    expect(json.headers.get('content-type')).toBe('application/json');
    expect(json.headers.get('x-extra')).toBe('1');
    expect(await json.json()).toEqual(doc);
  });
});
