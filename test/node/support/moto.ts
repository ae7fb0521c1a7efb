/**
 * A real S3-compatible server for tests: `moto_server` (Python `moto`) on a free loopback port,
 * started per test file and killed after. It is part of the test machines' image; where it is
 * missing the tests fail with how to get it, never skip.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { AwsClient } from 'aws4fetch';
import type { EnvVars } from '../../../src/runtime/settings';
import type { S3Settings } from '../../../src/storage/s3';
import { freePort } from './servers';

export const MOTO_COMMAND = process.env.MOTO_SERVER ?? 'moto_server';

export interface MotoServer {
  endpoint: string;
  /** Makes a fresh, empty bucket and returns the store settings (and server env) for it. */
  bucket(): Promise<{ settings: S3Settings; env: EnvVars }>;
  stop(): Promise<void>;
}

/** Test credentials: moto accepts any, and these are not secrets anywhere. */
const CREDENTIALS = { accessKeyId: 'test-access-key', secretAccessKey: 'test-secret-key' };

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export async function startMoto(readyMs = 30_000): Promise<MotoServer> {
  const probe = spawnSync(MOTO_COMMAND, ['--help'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error(
      `${MOTO_COMMAND} (Python moto's S3 server) is needed for the S3 store tests and was not found ` +
        `(${probe.error?.message ?? `exit ${probe.status}`}). Install it with \`pip install 'moto[server]'\`, ` +
        'or point MOTO_SERVER at its executable.',
    );
  }
  const port = await freePort();
  const child: ChildProcess = spawn(MOTO_COMMAND, ['-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (c: string) => {
    output = (output + c).slice(-4000);
  });
  child.stderr?.setEncoding('utf8').on('data', (c: string) => {
    output = (output + c).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const deadline = Date.now() + readyMs;
  while (!(await portOpen(port))) {
    if (child.exitCode !== null) throw new Error(`${MOTO_COMMAND} exited before listening:\n${output}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${MOTO_COMMAND} did not listen on 127.0.0.1:${port} within ${readyMs} ms:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new AwsClient({ ...CREDENTIALS, region: 'us-east-1', service: 's3', retries: 0 });

  return {
    endpoint,
    async bucket() {
      const bucket = `imageapi-${randomBytes(6).toString('hex')}`;
      const response = await client.fetch(`${endpoint}/${bucket}`, { method: 'PUT' });
      if (!response.ok)
        throw new Error(`could not create bucket ${bucket}: ${response.status} ${await response.text()}`);
      const settings: S3Settings = { bucket, endpoint, region: 'auto', ...CREDENTIALS };
      return {
        settings,
        env: {
          S3_BUCKET: bucket,
          S3_ENDPOINT: endpoint,
          AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
          AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
        },
      };
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}
