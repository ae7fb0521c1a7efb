import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newUser, type TestUser } from '../support/client';
import { type ChildServer, dataDir, httpTarget, spawnEntry, startInProcess } from '../support/node/servers';

const MIB = 1024 * 1024;

/**
 * Sends request headers announcing `length` bytes but only `sent` of them, and resolves with the
 * status line of whatever the server answers meanwhile. Only a raw socket can do this: fetch
 * always sends the body it announces.
 */
function statusBeforeBody(port: number, head: string[], length: number, sent: number, ms = 10_000) {
  return new Promise<string>((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within ${ms} ms while the body was held back`));
    }, ms);
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      received += chunk;
      const end = received.indexOf('\r\n');
      if (end >= 0) {
        clearTimeout(timer);
        socket.destroy();
        resolve(received.slice(0, end));
      }
    });
    socket.on('error', reject);
    socket.write(`${[...head, `Content-Length: ${length}`].join('\r\n')}\r\n\r\n`);
    socket.write(Buffer.alloc(sent, 0x41));
  });
}

describe.each(['node', 'bun'] as const)('upload limits on a real %s server', (runtime) => {
  let port = 0;
  let user: TestUser;
  let cleanup: () => Promise<void> = async () => {};

  beforeAll(async () => {
    const data = await dataDir();
    let origin: string;
    if (runtime === 'node') {
      const server = await startInProcess(data.env);
      ({ origin, port } = server);
      cleanup = async () => {
        await server.shutdown('tests done');
        await data.remove();
      };
    } else {
      const server: ChildServer = await spawnEntry('bun', data.env, data.dir);
      ({ origin, port } = server);
      cleanup = async () => {
        await server.stop();
        await data.remove();
      };
    }
    user = await newUser(httpTarget(runtime, origin), 'limits');
  });
  afterAll(() => cleanup());

  it('answers 413 from Content-Length alone, without waiting for a body it will not read', async () => {
    for (const path of ['/api/images', '/api/v1/images']) {
      const status = await statusBeforeBody(
        port,
        [
          `POST ${path} HTTP/1.1`,
          `Host: 127.0.0.1:${port}`,
          `Authorization: Bearer ${user.token}`,
          'Content-Type: multipart/form-data; boundary=held-back',
        ],
        25 * MIB,
        4096,
      );
      expect(status).toMatch(/^HTTP\/1\.1 413 /);
    }
  });
});
