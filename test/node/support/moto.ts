/**
 * moto_server (Python moto) as an S3-compatible store on loopback, with one empty bucket. A
 * machine without it fails the test that asked, with what to install, never skips it.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AwsClient } from 'aws4fetch';
import { launchProcess } from './processes';
import { type Child, freePort } from './servers';

export interface Moto {
  endpoint: string;
  bucket: string;
  /** The settings a server is started with to use the bucket. */
  env: Record<string, string>;
  /** Signed requests to the bucket, for what the test checks behind the servers' backs. */
  s3: AwsClient;
  process: Child;
  stop(): Promise<void>;
}

const CREDENTIALS = { accessKeyId: 'moto-test-key', secretAccessKey: 'moto-test-secret', region: 'us-east-1' };

export function requireMotoServer(): void {
  try {
    execFileSync('moto_server', ['--help'], { stdio: 'ignore' });
  } catch (err) {
    throw new Error(
      `moto_server is needed for this test and could not be run (${String(err)}): install Python moto with its server extra, pip install 'moto[server]'`,
    );
  }
}

export async function startMoto(): Promise<Moto> {
  requireMotoServer();
  const dir = await mkdtemp(join(tmpdir(), 'imageapi-moto-'));
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const proc = launchProcess('moto_server', ['-H', '127.0.0.1', '-p', String(port)], dir);
  const s3 = new AwsClient({ ...CREDENTIALS, service: 's3' });
  const bucket = `imageapi-${crypto.randomUUID().slice(0, 8)}`;
  try {
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (proc.child.exitCode !== null) throw new Error(`moto_server exited before answering:\n${proc.output()}`);
      try {
        if ((await fetch(`${endpoint}/moto-api/`)).ok) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`moto_server did not answer within 30 s:\n${proc.output()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const created = await s3.fetch(`${endpoint}/${bucket}`, { method: 'PUT' });
    if (!created.ok) throw new Error(`creating the bucket: ${created.status} ${await created.text()}`);
  } catch (err) {
    proc.child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    endpoint,
    bucket,
    env: {
      S3_BUCKET: bucket,
      S3_ENDPOINT: endpoint,
      AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
      AWS_REGION: CREDENTIALS.region,
    },
    s3,
    process: proc,
    stop: async () => {
      await proc.stop(5_000);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
