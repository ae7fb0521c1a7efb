/**
 * A real sqld (libsql server) for the `node` project: a primary and, on request, a replica of
 * it, each on loopback with free ports and a scratch directory. The binary comes from
 * scripts/get-sqld.sh (pinned, fetched once into .cache/sqld/); a machine where it cannot be had
 * fails the test with the script's message, never skips it.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchProcess } from './processes';
import { type Child, freePort, ROOT } from './servers';

let binary: string | undefined;

/** The sqld binary, fetched by scripts/get-sqld.sh if it is not there yet. */
export function sqldBinary(): string {
  if (binary) return binary;
  try {
    binary = execFileSync('bash', [join(ROOT, 'scripts/get-sqld.sh')], { encoding: 'utf8' }).trim();
  } catch (err) {
    const stderr = (err as { stderr?: Buffer | string }).stderr?.toString() ?? String(err);
    throw new Error(`sqld is needed for this test and could not be had (scripts/get-sqld.sh): ${stderr.trim()}`);
  }
  return binary;
}

export interface Sqld {
  /** `http://127.0.0.1:<port>` */
  url: string;
  process: Child;
  stop(): Promise<void>;
}

export interface SqldPair {
  primary: Sqld;
  replica: Sqld;
  stop(): Promise<void>;
}

async function waitHealthy(url: string, proc: Child, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (proc.child.exitCode !== null) throw new Error(`sqld exited before answering:\n${proc.output()}`);
    try {
      if ((await fetch(new URL('/health', url))).ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`sqld did not answer ${url}/health within ${ms} ms:\n${proc.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function startOne(args: string[]): Promise<Sqld> {
  const dir = await mkdtemp(join(tmpdir(), 'imageapi-sqld-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const proc = launchProcess(
    sqldBinary(),
    ['--no-welcome', '--db-path', join(dir, 'data.sqld'), '--http-listen-addr', `127.0.0.1:${port}`, ...args],
    dir,
  );
  try {
    await waitHealthy(url, proc);
  } catch (err) {
    proc.child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    url,
    process: proc,
    stop: async () => {
      await proc.stop(5_000);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A primary and one replica of it (writes sent to the replica are forwarded to the primary). */
export async function startSqldPair(): Promise<SqldPair> {
  const grpcPort = await freePort();
  const primary = await startOne(['--grpc-listen-addr', `127.0.0.1:${grpcPort}`]);
  try {
    const replica = await startOne(['--primary-grpc-url', `http://127.0.0.1:${grpcPort}`]);
    return {
      primary,
      replica,
      stop: async () => {
        await replica.stop();
        await primary.stop();
      },
    };
  } catch (err) {
    await primary.stop();
    throw err;
  }
}
