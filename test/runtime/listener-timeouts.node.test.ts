import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HEADERS_TIMEOUT_MS, KEEP_ALIVE_TIMEOUT_MS } from '../../src/limits';
import { dataDir, memoryLogger, startInProcess } from '../support/node/servers';

// The Node listener's own bounds (src/runtime/node-listen.ts): a client that never finishes its
// headers, or idles on a kept-alive connection, does not hold the connection; a client that goes
// away mid-upload is a 499 in the log, not a server error.

let server: Awaited<ReturnType<typeof startInProcess>>;
let removeData: () => Promise<void>;
const logger = memoryLogger();

beforeAll(async () => {
  const data = await dataDir();
  removeData = data.remove;
  server = await startInProcess(data.env, logger);
});

afterAll(async () => {
  await server.shutdown('tests done');
  await removeData();
});

function open(): Promise<Socket> {
  const { hostname, port } = new URL(server.origin);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) }, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Milliseconds until the server closes `socket`, and what it sent before. */
function untilClosed(socket: Socket): Promise<{ ms: number; received: string }> {
  const started = Date.now();
  let received = '';
  socket.on('data', (chunk: Buffer) => {
    received += chunk.toString('latin1');
  });
  return new Promise((resolve) => socket.once('close', () => resolve({ ms: Date.now() - started, received })));
}

describe('the Node listener', () => {
  it('closes a connection whose headers trickle in and never end, at the headers timeout', async () => {
    const socket = await open();
    const closed = untilClosed(socket);
    socket.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: ');
    // A byte every 2 s: never idle long enough for the socket timeout, so only the headers
    // timeout can end it.
    const drip = setInterval(() => socket.writable && socket.write('a'), 2000);
    const { ms, received } = await closed.finally(() => clearInterval(drip));
    expect(ms).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS - 1000);
    expect(ms).toBeLessThan(HEADERS_TIMEOUT_MS + 5000);
    // Node answers 408 (or just closes) — never a 2xx for a request it never fully received.
    expect(received).not.toMatch(/^HTTP\/1\.1 2/);
  }, 40_000);

  it('closes a silent connection at the socket idle timeout, and a kept-alive one idle after its answer', async () => {
    const silent = await open();
    const gone = await untilClosed(silent);
    // BODY_IDLE_SECONDS is 5 for the test servers: the socket goes 5 s after that.
    expect(gone.ms).toBeGreaterThanOrEqual(9000);
    expect(gone.ms).toBeLessThan(15_000);

    const socket = await open();
    const closed = untilClosed(socket);
    socket.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: keep-alive\r\n\r\n');

    const { ms, received } = await closed;
    expect(received).toMatch(/^HTTP\/1\.1 200/);
    expect(ms).toBeGreaterThanOrEqual(KEEP_ALIVE_TIMEOUT_MS - 1000);
    expect(ms).toBeLessThan(KEEP_ALIVE_TIMEOUT_MS + 5000);
  }, 40_000);

  it('logs a client that goes away mid-upload as 499 at info, not as an unhandled error', async () => {
    const reg = await fetch(`${server.origin}/api/v1/user/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: `abort-${crypto.randomUUID()}@example.com`, password: 'password-123' }),
    });
    const { email } = (await reg.json()) as { email: string };
    const login = await fetch(`${server.origin}/api/v1/user/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: 'password-123' }),
    });
    const { token } = (await login.json()) as { token: string };
    const socket = await open();
    const closed = untilClosed(socket);
    const before = logger.lines.length;
    socket.write(
      `POST /api/v1/images HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${token}\r\n` +
        'Content-Type: multipart/form-data; boundary=b\r\nTransfer-Encoding: chunked\r\n\r\n',
    );
    const head =
      '--b\r\nContent-Disposition: form-data; name="image"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n\x89PNG\r\n\x1a\n';
    socket.write(`${Buffer.byteLength(head, 'latin1').toString(16)}\r\n${head}\r\n`, 'latin1');
    await new Promise((r) => setTimeout(r, 300));
    socket.destroy();
    await closed;
    let line: { level: string; message: string; status?: number } | undefined;
    for (let i = 0; i < 50 && !line; i++) {
      await new Promise((r) => setTimeout(r, 100));
      line = (logger.lines.slice(before) as { level: string; message: string; status?: number }[]).find(
        (l) => l.message === 'request',
      );
    }
    expect(line).toMatchObject({ level: 'info', status: 499 });
    expect(logger.lines.slice(before).filter((l) => l.level === 'error')).toEqual([]);
  }, 20_000);
});
