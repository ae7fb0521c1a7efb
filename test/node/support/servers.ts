/**
 * Real servers for the `node` vitest project: the Node server in this process, or an entry
 * (src/node.ts through tsx, src/bun.ts through Bun) as a child process. Every server listens
 * on 127.0.0.1 with an ephemeral port and its own temporary database and images directory.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { openLibsql } from '../../../src/db/libsql';
import type { Logger } from '../../../src/lib/logger';
import { type LocalServer, startLocal } from '../../../src/runtime/local';
import { nodeListen } from '../../../src/runtime/node-listen';
import type { EnvVars } from '../../../src/runtime/settings';
import { setOperator } from '../../../src/services/admin';
import type { SecretWitness } from '../../support/log-secrets';
import { withContract } from '../../support/openapi-contract';
import { CLAIMED_ADMIN_EMAIL } from '../../support/operator';
import { withSecurityHeaders } from '../../support/security-headers';
import type { Target } from '../../support/target';
import { filesUnder } from './files';

/** A port free on 127.0.0.1 right now, for a server that cannot be told to pick its own. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

export const ROOT = resolve(import.meta.dirname, '../../..');
export const BUN = join(ROOT, 'node_modules/.bin/bun');
export const TSX = join(ROOT, 'node_modules/.bin/tsx');

export type EntryRuntime = 'node' | 'bun';

/** What each entry is started with, as `npm run start:node` / `start:bun` do. */
export const ENTRY: Record<EntryRuntime, { command: string; args: string[] }> = {
  node: { command: TSX, args: [join(ROOT, 'src/node.ts')] },
  bun: { command: BUN, args: [join(ROOT, 'src/bun.ts')] },
};

/** A temporary home for one server's data; `remove()` deletes it. */
export async function dataDir(): Promise<{ dir: string; env: EnvVars; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'imageapi-'));
  return {
    dir,
    env: serverEnv(dir),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

/** Only what the server needs: loopback, any free port, data under `dir`, a fresh secret. */
export function serverEnv(dir: string, extra: EnvVars = {}): EnvVars {
  return {
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    PORT: '0',
    DATABASE_URL: `file:${join(dir, 'imageapi.db')}`,
    IMAGES_DIR: join(dir, 'images'),
    AUTH_SECRET: randomBytes(32).toString('hex'),
    // Retired: set to prove that registering the address grants nothing (admin.scenario.ts).
    ADMIN_EMAILS: CLAIMED_ADMIN_EMAIL,
    // The scenarios send bodies just over the upload limit; 20 MiB (the default is 100 MiB)
    // keeps that cheap. The same on Workers (vitest.config.ts).
    MAX_UPLOAD_BYTES: String(20 * 1024 * 1024),
    // The slow-client scenarios wait out this idle timeout (default 30 s). The same on Workers.
    BODY_IDLE_SECONDS: '5',
    ...extra,
  };
}

/**
 * A server over HTTP. `fromNewAddress` connects from a random 127.x.y.z: Linux routes all of
 * 127/8 to the loopback, so the server sees a distinct socket address without trusting a header.
 */
type TargetOptions = Pick<Target, 'authSecret' | 'storedKeys' | 'setOperator'>;

export const httpTarget = (name: string, origin: string, options: TargetOptions = {}): Target => ({
  name,
  ...options,
  fromNewAddress: () => httpTargetFrom(name, origin, randomLoopbackAddress(), options),
  fetch: (path, init) => fetch(new URL(path, origin), init),
});

/** A server over HTTP, with every connection from `localAddress` (a loopback address). */
export const httpTargetFrom = (
  name: string,
  origin: string,
  localAddress: string,
  options: TargetOptions = {},
): Target => ({ ...options, name, fetch: fetchFrom(origin, localAddress) });

/**
 * Every file under a store's directory, upload temp files included, as paths relative to it.
 * Bun's serving links (`….serving.tmp`, src/runtime/bun-listen.ts) are left out: a download
 * makes one and removes it a while later, whatever the store holds.
 */
export async function storeFilesUnder(root: string): Promise<Set<string>> {
  const files = await filesUnder(root);
  return new Set(files.filter((p) => !p.endsWith('.serving.tmp')).map((p) => relative(root, p)));
}

/**
 * The scenarios' target for a real server on `data`: every response held to the OpenAPI
 * document and the security headers, the log watched for the run's secrets, the store listable.
 */
export function scenarioTarget(
  name: string,
  origin: string,
  data: { env: EnvVars },
  witness: SecretWitness,
  /** What the store holds, when it is not the directory IMAGES_DIR names (an S3 bucket). */
  storedKeys: () => Promise<Set<string>> = () => storeFilesUnder(data.env.IMAGES_DIR as string),
): Target {
  witness.add(data.env.AUTH_SECRET);
  return withContract(
    withSecurityHeaders(
      witness.watch(
        httpTarget(name, origin, {
          authSecret: data.env.AUTH_SECRET,
          storedKeys,
          setOperator: (email, operator) => operatorAction(data.env, email, operator),
        }),
      ),
    ),
  );
}

/**
 * What `npm run operator -- grant|revoke <email>` does (scripts/operator.ts), on the server's
 * database from outside the server, as the command would (test/node/operator.test.ts runs the
 * command itself).
 */
export async function operatorAction(env: EnvVars, email: string, operator: boolean): Promise<void> {
  const database = await openLibsql({ url: env.DATABASE_URL as string });
  try {
    if (!(await setOperator({ db: database.db, clock: () => new Date() }, email, operator))) {
      throw new Error(`no user ${email} to make an operator`);
    }
  } finally {
    database.close();
  }
}

/** 127.1.0.1 – 127.254.255.254: never 127.0.0.1, where the rest of a suite comes from. */
export function randomLoopbackAddress(): string {
  const [a = 0, b = 0, c = 0] = randomBytes(3);
  return `127.${(a % 254) + 1}.${b}.${(c % 254) + 1}`;
}

/**
 * A `fetch` whose connections leave from `localAddress`. Global fetch cannot choose its source
 * address, node:http can; bodies are small here, so both ways are buffered.
 */
function fetchFrom(origin: string, localAddress: string): Target['fetch'] {
  return async (path, init) => {
    const request = new Request(new URL(path, origin), init);
    // A stream is sent as it is produced (chunked), as fetch would; anything else with its length.
    const streamed = init?.body instanceof ReadableStream ? request.body : null;
    const body = request.body && !streamed ? Buffer.from(await request.arrayBuffer()) : undefined;
    return new Promise<Response>((resolveResponse, rejectResponse) => {
      const outgoing = httpRequest(
        request.url,
        {
          method: request.method,
          // node:http sends a DELETE's body with neither a length nor chunking (it defaults to
          // chunked only for methods that usually carry one): say the length, as fetch does.
          headers: {
            ...Object.fromEntries(request.headers),
            ...(body ? { 'content-length': String(body.length) } : {}),
          },
          localAddress,
          agent: false,
        },
        (incoming) => {
          const chunks: Buffer[] = [];
          incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
          incoming.on('error', rejectResponse);
          incoming.on('end', () => {
            const headers = new Headers();
            for (let i = 0; i + 1 < incoming.rawHeaders.length; i += 2) {
              headers.append(incoming.rawHeaders[i] ?? '', incoming.rawHeaders[i + 1] ?? '');
            }
            const status = incoming.statusCode ?? 0;
            const empty = status === 204 || status === 304 || request.method === 'HEAD';
            resolveResponse(new Response(empty ? null : Buffer.concat(chunks), { status, headers }));
          });
        },
      );
      outgoing.on('error', rejectResponse);
      if (streamed) Readable.fromWeb(streamed as import('node:stream/web').ReadableStream).pipe(outgoing);
      else outgoing.end(body);
    });
  };
}

/** Collects log lines instead of printing them; errors still reach the test output. */
export function memoryLogger(): Logger & { lines: { level: string; message: string }[] } {
  const lines: { level: string; message: string }[] = [];
  const push = (level: string) => (message: string, fields?: Record<string, unknown>) => {
    lines.push({ level, message, ...fields });
    if (level === 'error') console.error(JSON.stringify({ level, message, ...fields }));
  };
  return { lines, info: push('info'), warn: push('warn'), error: push('error') };
}

/**
 * A plain HTTP target on a fresh server of `runtime` over `data`: Node in this process, Bun as a
 * child, as the entries build them. `shutdown` stops it (the data stays for the caller).
 */
export async function runtimeServer(
  runtime: 'node' | 'bun',
  data: { env: EnvVars; dir: string },
): Promise<{ target: Target; shutdown: () => Promise<unknown> }> {
  if (runtime === 'node') {
    const server = await startInProcess(data.env);
    return { target: httpTarget(runtime, server.origin), shutdown: () => server.shutdown('tests done') };
  }
  const server = await spawnEntry('bun', data.env, data.dir);
  return { target: httpTarget(runtime, server.origin), shutdown: () => server.stop() };
}

/** The Node server inside the test process, as src/node.ts builds it. */
export async function startInProcess(
  env: EnvVars,
  logger: Logger = memoryLogger(),
): Promise<LocalServer & { origin: string }> {
  const server = await startLocal({ runtime: 'node', listen: nodeListen, env, logger });
  const origin = server.urls[0];
  if (!origin) throw new Error('the server listens nowhere');
  return { ...server, origin };
}

type Exit = { code: number | null; signal: NodeJS.Signals | null };

export interface Child {
  child: ChildProcessWithoutNullStreams;
  /** Everything the process printed so far (stdout and stderr), for assertions and failure messages. */
  output(): string;
  /** The JSON log lines printed so far. */
  events(): Record<string, unknown>[];
  /** Resolves once the process has ended. */
  exited: Promise<Exit>;
  /** SIGTERM, then SIGKILL if it has not ended within `ms`. */
  stop(ms?: number): Promise<Exit>;
}

export interface ChildServer extends Child {
  origin: string;
  port: number;
}

/** Starts an entry as a child process with only `env` (plus PATH/HOME) in its environment. */
export function launch(runtime: EntryRuntime, env: EnvVars, cwd: string): Child {
  const { command, args } = ENTRY[runtime];
  if (!existsSync(command)) throw new Error(`${command} is missing: run npm ci`);
  // A clean environment and a cwd without .env: nothing from the developer's shell leaks in.
  const child = spawn(command, args, {
    cwd,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env } as NodeJS.ProcessEnv,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  const events: Record<string, unknown>[] = [];
  // Info lines go to stdout, warnings and errors to stderr: read JSON lines from both.
  const reader = () => {
    let partial = '';
    return (chunk: string) => {
      out += chunk;
      partial += chunk;
      for (let nl = partial.indexOf('\n'); nl >= 0; nl = partial.indexOf('\n')) {
        const event = parseLine(partial.slice(0, nl));
        partial = partial.slice(nl + 1);
        if (event) {
          events.push(event);
          child.emit('event', event);
        }
      }
    };
  };
  child.stdout.setEncoding('utf8').on('data', reader());
  child.stderr.setEncoding('utf8').on('data', reader());
  const exited = new Promise<Exit>((done) => child.once('close', (code, signal) => done({ code, signal })));
  const stop = async (ms = 15_000) => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), ms);
      await exited;
      clearTimeout(timer);
    }
    return exited;
  };
  return { child, output: () => out, events: () => events, exited, stop };
}

/** Resolves with the first log line whose `message` is `message`. */
export function waitForEvent(proc: Child, message: string, ms = 30_000): Promise<Record<string, unknown>> {
  const seen = proc.events().find((e) => e.message === message);
  if (seen) return Promise.resolve(seen);
  return new Promise((resolveEvent, rejectEvent) => {
    const onEvent = (event: Record<string, unknown>) => {
      if (event.message !== message) return;
      cleanup();
      resolveEvent(event);
    };
    const timer = setTimeout(() => {
      cleanup();
      rejectEvent(new Error(`no "${message}" within ${ms} ms:\n${proc.output()}`));
    }, ms);
    const onExit = () => {
      cleanup();
      rejectEvent(new Error(`exited before "${message}":\n${proc.output()}`));
    };
    const cleanup = () => {
      clearTimeout(timer);
      proc.child.off('event', onEvent);
      proc.child.off('close', onExit);
    };
    proc.child.on('event', onEvent);
    proc.child.once('close', onExit);
  });
}

/** Starts an entry and waits for its `listening` line, which names the real port. */
export async function spawnEntry(
  runtime: EntryRuntime,
  env: EnvVars,
  cwd: string,
  readyMs = 30_000,
): Promise<ChildServer> {
  const proc = launch(runtime, env, cwd);
  try {
    const ready = await waitForEvent(proc, 'listening', readyMs);
    const origin = (ready.urls as string[] | undefined)?.[0];
    if (!origin) throw new Error(`listening line without urls: ${JSON.stringify(ready)}`);
    return { ...proc, origin, port: Number(ready.port) };
  } catch (err) {
    proc.child.kill('SIGKILL');
    throw err;
  }
}

/** Runs an entry expected to end by itself (a refusal to start); kills it after `ms`. */
export async function runToExit(runtime: EntryRuntime, env: EnvVars, cwd: string, ms = 30_000) {
  const proc = launch(runtime, env, cwd);
  const timer = setTimeout(() => proc.child.kill('SIGKILL'), ms);
  const { code, signal } = await proc.exited;
  clearTimeout(timer);
  return { code, signal, output: proc.output() };
}

function parseLine(line: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(line);
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `pid` and every process below it (Linux /proc), parents first. `tsx src/node.ts` runs the
 * server in a child of the tsx process, so signalling only the spawned pid misses the server.
 */
export function processTree(pid: number): number[] {
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) {
    const parent = tree[i] as number;
    try {
      for (const task of readdirSync(`/proc/${parent}/task`)) {
        const children = readFileSync(`/proc/${parent}/task/${task}/children`, 'utf8').trim();
        if (children) tree.push(...children.split(/\s+/).map(Number));
      }
    } catch {
      // gone already, or not Linux
    }
  }
  return tree;
}

/** SIGKILL to a child and everything it started, at once: a crash of the whole server. */
export function killTree(proc: Child): void {
  if (proc.child.pid === undefined) return;
  for (const pid of processTree(proc.child.pid)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/**
 * Resident memory of a process and everything below it, in bytes (Linux /proc VmRSS). Pages
 * shared between the processes of a tree are counted once per process.
 */
export function treeRss(pid: number): number {
  let total = 0;
  for (const p of processTree(pid)) {
    try {
      const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1];
      total += Number(kb ?? 0) * 1024;
    } catch {
      // gone
    }
  }
  return total;
}
