import { existsSync } from 'node:fs';
import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { json, newUser, uniqueEmail } from '../support/client';
import {
  type ChildServer,
  dataDir,
  type EntryRuntime,
  httpTarget,
  memoryLogger,
  runToExit,
  spawnEntry,
  startInProcess,
  waitForEvent,
} from '../support/node/servers';

/**
 * A register request whose body is sent in two halves, so it is in flight (headers read, body
 * not complete) for as long as the test wants. `accepted` resolves once the server has read the
 * headers (its `100 Continue`); `finish()` sends the rest.
 */
function slowRegister(port: number) {
  const body = JSON.stringify({ email: uniqueEmail('inflight'), password: 'password-inflight' });
  const half = Math.floor(body.length / 2);
  const req = request({
    host: '127.0.0.1',
    port,
    method: 'POST',
    path: '/api/v1/user/register',
    agent: false,
    headers: {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
      expect: '100-continue',
    },
  });
  const accepted = new Promise<void>((resolve) => req.once('continue', () => resolve()));
  const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
  req.flushHeaders();
  void accepted.then(() => req.write(body.slice(0, half)));
  return { accepted, response, finish: () => req.end(body.slice(half)) };
}

describe.each(['node', 'bun'] as EntryRuntime[])('%s entry', (runtime) => {
  it('refuses to start without a usable AUTH_SECRET outside development, before touching any data', async () => {
    const data = await dataDir();
    try {
      const { AUTH_SECRET: _unused, ...env } = data.env;
      const missing = await runToExit(runtime, { ...env, NODE_ENV: 'production' }, data.dir);
      expect(missing.code).toBe(1);
      expect(missing.output).toMatch(/refusing to start: AUTH_SECRET is not set/);
      const short = await runToExit(runtime, { ...env, AUTH_SECRET: 'too-short' }, data.dir);
      expect(short.code).toBe(1);
      expect(short.output).toMatch(/AUTH_SECRET is 9 bytes; at least 32 are required/);
      expect(existsSync(`${data.dir}/imageapi.db`)).toBe(false);
    } finally {
      await data.remove();
    }
  });

  it('refuses to start on an invalid setting, naming it', async () => {
    const data = await dataDir();
    try {
      const result = await runToExit(runtime, { ...data.env, PORT: 'eighty' }, data.dir);
      expect(result.code).toBe(1);
      expect(result.output).toMatch(/Invalid configuration: PORT/);
    } finally {
      await data.remove();
    }
  });

  it('on SIGTERM stops accepting, finishes the request in flight, closes the database and exits 0', async () => {
    const data = await dataDir();
    let server: ChildServer | undefined;
    try {
      server = await spawnEntry(runtime, data.env, data.dir);
      const inflight = slowRegister(server.port);
      await inflight.accepted;
      server.child.kill('SIGTERM');
      await waitForEvent(server, 'shutting down');

      await expect(fetch(`${server.origin}/api/openapi.json`)).rejects.toThrow();
      inflight.finish();
      const answer = await inflight.response;
      expect(answer.status).toBe(201);
      expect(JSON.parse(answer.body)).toMatchObject({ id: expect.any(Number) });

      expect(await server.exited).toEqual({ code: 0, signal: null });
      expect(server.events().map((e) => e.message)).toEqual(
        expect.arrayContaining(['listening', 'shutting down', 'stopped']),
      );
    } finally {
      await server?.stop();
      await data.remove();
    }
  });

  it('in development starts without AUTH_SECRET, warning that sessions end with the process', async () => {
    const data = await dataDir();
    let server: ChildServer | undefined;
    try {
      const { AUTH_SECRET: _unused, ...env } = data.env;
      server = await spawnEntry(runtime, { ...env, NODE_ENV: 'development' }, data.dir);
      expect(server.output()).toMatch(/AUTH_SECRET is not set; using a random secret for this process only/);
      const user = await newUser(httpTarget(runtime, server.origin));
      expect(user.token).toBeTruthy();
    } finally {
      await server?.stop();
      await data.remove();
    }
  });
});

describe('in-process Node server', () => {
  it('closes connections still busy when the grace period ends', async () => {
    const data = await dataDir();
    const logger = memoryLogger();
    const server = await startInProcess(data.env, logger);
    try {
      const stuck = slowRegister(server.port);
      stuck.response.catch(() => {}); // it is expected to fail
      await stuck.accepted;
      const started = Date.now();
      await server.shutdown('test', 300);
      expect(Date.now() - started).toBeLessThan(5_000);
      await expect(stuck.response).rejects.toThrow();
      expect(logger.lines.map((l) => l.message)).toEqual(
        expect.arrayContaining([expect.stringMatching(/grace period/), 'stopped']),
      );
    } finally {
      await data.remove();
    }
  });

  it('answers on both loopbacks for HOST=localhost, on one port', async () => {
    const data = await dataDir();
    const logger = memoryLogger();
    const server = await startInProcess({ ...data.env, HOST: 'localhost' }, logger);
    try {
      expect(server.urls[0]).toBe(`http://127.0.0.1:${server.port}`);
      const ipv6 = server.urls.includes(`http://[::1]:${server.port}`);
      // Hosts without IPv6 serve 127.0.0.1 only, and say so.
      if (!ipv6) expect(logger.lines.map((l) => l.message)).toContain('not listening on ::1');
      for (const url of server.urls) {
        const res = await fetch(
          `${url}/api/v1/user/register`,
          json({ email: uniqueEmail('lo'), password: 'password-lo' }),
        );
        expect(res.status).toBe(201);
      }
    } finally {
      await server.shutdown('test');
      await data.remove();
    }
  });
});
