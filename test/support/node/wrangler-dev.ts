/**
 * The Worker under `wrangler dev` (workerd through miniflare) as a child process on a loopback
 * port, for tools and suites that need the real listener rather than the vitest pool: local D1
 * and R2 persisted under a throwaway directory with the migrations applied, the secret and any
 * other vars given as `--var` (the repository's .dev.vars is neither read for them nor touched),
 * no metrics sent. Used by scripts/loadtest.ts and the resource suite (test/limits/resources).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, processTree, ROOT } from './servers';

export interface WranglerDev {
  /** wrangler's own port: its proxy worker, which forwards to the Worker's workerd. */
  origin: string;
  /**
   * The Worker's workerd itself, behind that proxy. The proxy is a development convenience
   * (it holds requests across reloads) that reads request bodies through a second hop and
   * answers 503 "worker restarted" when the Worker drops a connection with the body unread;
   * attacks on the Worker's own body handling go here.
   */
  workerOrigin: string;
  /** The wrangler process; workerd runs below it (see processTree). */
  pid: number;
  /** The secret the Worker signs sessions with. */
  authSecret: string;
  /** Everything wrangler printed so far. */
  output(): string;
  /** SIGTERM, then SIGKILL to whatever of the tree is left after `ms`. */
  stop(ms?: number): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** SIGKILL to a process and everything below it. */
export function killProcessTree(child: ChildProcess): void {
  if (child.pid === undefined) return;
  for (const pid of processTree(child.pid)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
}

/** Starts `wrangler dev` with data under `persistDir`; resolves once the Worker answers. */
export async function startWranglerDev(
  persistDir: string,
  vars: Record<string, string> = {},
  readyMs = 120_000,
): Promise<WranglerDev> {
  const wrangler = join(ROOT, 'node_modules/.bin/wrangler');
  const env = { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: 'true' };
  const persist = ['--persist-to', persistDir];
  const migrated = spawnSync(wrangler, ['d1', 'migrations', 'apply', 'DB', '--local', ...persist], {
    cwd: ROOT,
    env,
    encoding: 'utf8',
  });
  if (migrated.status !== 0) throw new Error(`d1 migrations apply failed:\n${migrated.stdout}${migrated.stderr}`);
  const port = await freePort();
  const inspector = await freePort();
  const authSecret = randomBytes(32).toString('hex');
  const args = ['dev', '--ip', '127.0.0.1', '--port', String(port), '--inspector-port', String(inspector), ...persist];
  for (const [name, value] of Object.entries({ AUTH_SECRET: authSecret, ...vars })) {
    args.push('--var', `${name}:${value}`);
  }
  args.push('--show-interactive-dev-session=false');
  const child = spawn(wrangler, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c));
  child.stderr?.on('data', (c: Buffer) => (output += c));
  const origin = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + readyMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited:\n${output}`);
    const ok = await fetch(`${origin}/api/openapi.json`).then(
      async (r) => {
        await r.body?.cancel();
        return r.ok;
      },
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) {
      killProcessTree(child);
      throw new Error(`wrangler dev did not answer within ${readyMs} ms:\n${output}`);
    }
    await sleep(250);
  }
  let workerOrigin: string | undefined;
  try {
    workerOrigin = await findWorkerOrigin(child.pid as number, port);
  } catch (err) {
    killProcessTree(child);
    throw err;
  }
  return {
    origin,
    workerOrigin,
    pid: child.pid as number,
    authSecret,
    output: () => output,
    stop: async (ms = 10_000) => {
      const exited = new Promise((r) => child.once('close', r));
      const tree = processTree(child.pid as number);
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await Promise.race([exited, sleep(ms)]);
      }
      for (const pid of tree) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
    },
  };
}

/** TCP ports a process listens on (Linux /proc: its socket inodes against the listen table). */
function listeningPorts(pid: number): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const inode = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
      if (inode) inodes.add(inode);
    } catch {
      // closed meanwhile
    }
  }
  const ports: number[] = [];
  for (const table of ['tcp', 'tcp6']) {
    for (const line of readFileSync(`/proc/${pid}/net/${table}`, 'utf8').split('\n').slice(1)) {
      const [, local = '', , state, , , , , , inode = ''] = line.trim().split(/\s+/);
      if (state === '0A' && inodes.has(inode)) ports.push(Number.parseInt(local.split(':')[1] ?? '', 16));
    }
  }
  return ports;
}

/** The loopback port of the workerd that runs the Worker: the one, not wrangler's, serving /healthz. */
async function findWorkerOrigin(wranglerPid: number, proxyPort: number): Promise<string> {
  for (const pid of processTree(wranglerPid)) {
    let command: string[];
    try {
      command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    if (!command[0]?.endsWith('workerd')) continue;
    for (const port of listeningPorts(pid)) {
      if (port === proxyPort) continue;
      const origin = `http://127.0.0.1:${port}`;
      const healthy = await fetch(`${origin}/healthz`, { signal: AbortSignal.timeout(2_000) }).then(
        async (r) => r.status === 200 && (await r.text()).includes('"ok"'),
        () => false,
      );
      if (healthy) return origin;
    }
  }
  throw new Error("no workerd below wrangler dev serves the Worker's /healthz");
}
