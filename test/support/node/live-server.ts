/**
 * The resource suite's harness: the real server of one runtime as a separate process on a
 * loopback port (`tsx src/node.ts`, `bun src/bun.ts`, `wrangler dev` for workerd), a memory
 * watchdog over its whole process tree, a raw HTTP attacker that stops sending as soon as the
 * server answers, and the checks every attack ends with (the server still answers, counters).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { bearer, type TestUser } from '../client';
import { randomPrivateAddress, type Target } from '../target';
import { httpTarget, killTree, serverEnv, spawnEntry, storeFilesUnder, treeRss } from './servers';
import { startWranglerDev } from './wrangler-dev';

export type Runtime = 'node' | 'bun' | 'workerd';

export const MiB = 2 ** 20;

/** Settings every runtime runs with here, as the scenario servers do (test/support/node/servers.ts). */
export const SETTINGS = {
  MAX_UPLOAD_BYTES: String(20 * MiB),
  // Slow-body cases wait out this idle timeout (the default is 30 s).
  BODY_IDLE_SECONDS: '5',
  // Request counts are written at once, so usage read right after an attack is exact.
  USAGE_FLUSH_SECONDS: '0',
};

export interface LiveServer {
  runtime: Runtime;
  origin: string;
  /** The process whose tree is the server: tsx (node below it), bun, or wrangler (workerd below it). */
  pid: number;
  target: Target;
  /** Every file in the image store, temp files included (Node and Bun; R2 is inside workerd). */
  storedFiles?(): Promise<Set<string>>;
  /** What the server printed, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

/** Starts `runtime`'s server with throwaway data under a temp directory. */
export async function startLive(runtime: Runtime): Promise<LiveServer> {
  const dir = await mkdtemp(join(tmpdir(), `imageapi-resources-${runtime}-`));
  const removeDir = () => rm(dir, { recursive: true, force: true });
  try {
    if (runtime === 'workerd') {
      const server = await startWranglerDev(dir, SETTINGS);
      const fetchWith =
        (headers: Record<string, string>): Target['fetch'] =>
        (path, init) => {
          const merged = new Headers(init?.headers);
          for (const [name, value] of Object.entries(headers)) merged.set(name, value);
          return fetch(new URL(path, server.workerOrigin), { ...init, headers: merged });
        };
      // wrangler dev passes a client's CF-Connecting-IP through, as the edge sets it in production.
      const target: Target = {
        name: runtime,
        authSecret: server.authSecret,
        fetch: fetchWith({}),
        fromNewAddress: () => ({ name: runtime, fetch: fetchWith({ 'cf-connecting-ip': randomPrivateAddress() }) }),
      };
      return {
        runtime,
        // The Worker's workerd, not wrangler's proxy worker in front of it (wrangler-dev.ts).
        origin: server.workerOrigin,
        pid: server.pid,
        target,
        output: server.output,
        stop: async () => {
          await server.stop();
          await removeDir();
        },
      };
    }
    const env = serverEnv(dir, SETTINGS);
    const server = await spawnEntry(runtime, env, dir, 60_000);
    return {
      runtime,
      origin: server.origin,
      pid: server.child.pid as number,
      target: httpTarget(runtime, server.origin, { authSecret: env.AUTH_SECRET }),
      storedFiles: () => storeFilesUnder(env.IMAGES_DIR as string),
      output: server.output,
      stop: async () => {
        await server.stop(10_000);
        killTree(server);
        await removeDir();
      },
    };
  } catch (err) {
    await removeDir();
    throw err;
  }
}

// ---- the memory watchdog -----------------------------------------------------------------------

export interface Figures {
  runtime: Runtime;
  attack: string;
  baselineMiB: number;
  peakGrowthMiB: number;
  boundMiB: number;
  ms: number;
}

/** Every attack's figures, in order, for the summary the suite prints at the end. */
export const FIGURES: Figures[] = [];

const SAMPLE_MS = 50;
/** Memory a decode or a buffered body frees late is still counted for this long after the answers. */
const TAIL_MS = 250;

const round = (bytes: number) => Math.round((bytes / MiB) * 10) / 10;

/**
 * Runs `attack` while sampling the resident memory of the server's process tree every 50 ms;
 * prints and records the baseline and the peak growth over it, and fails if the growth reaches
 * `bound` bytes.
 */
export async function watched<T>(
  server: LiveServer,
  attack: string,
  bound: number,
  work: () => Promise<T>,
): Promise<T> {
  const baseline = treeRss(server.pid);
  let peak = baseline;
  const sample = () => {
    peak = Math.max(peak, treeRss(server.pid));
  };
  const timer = setInterval(sample, SAMPLE_MS);
  const started = performance.now();
  let outcome: { ok: true; value: T } | { ok: false; error: unknown };
  try {
    outcome = { ok: true, value: await work() };
  } catch (error) {
    // Figures first: an attack that broke the server usually also broke the bound.
    outcome = { ok: false, error };
  }
  await new Promise((r) => setTimeout(r, TAIL_MS));
  sample();
  clearInterval(timer);
  const figures: Figures = {
    runtime: server.runtime,
    attack,
    baselineMiB: round(baseline),
    peakGrowthMiB: round(peak - baseline),
    boundMiB: round(bound),
    ms: Math.round(performance.now() - started),
  };
  FIGURES.push(figures);
  console.log(
    `[resources] ${figures.runtime} ${attack}: RSS baseline ${figures.baselineMiB} MiB, ` +
      `peak growth ${figures.peakGrowthMiB} MiB (bound ${figures.boundMiB} MiB), ${figures.ms} ms`,
  );
  expect(peak - baseline, `${server.runtime} ${attack}: RSS growth`).toBeLessThan(bound);
  if (!outcome.ok) throw outcome.error;
  return outcome.value;
}

// ---- after every attack ---------------------------------------------------------------------------

/** `/healthz` must answer 200 within this after an attack. */
export const HEALTH_MS = 2_000;

export async function expectHealthy(server: LiveServer): Promise<void> {
  const started = performance.now();
  const res = await fetch(new URL('/healthz', server.origin), { signal: AbortSignal.timeout(HEALTH_MS) });
  await res.arrayBuffer();
  expect(res.status, `${server.runtime} /healthz`).toBe(200);
  expect(performance.now() - started).toBeLessThan(HEALTH_MS);
}

export interface Storage {
  images_count: number;
  bytes_stored: number;
}

/** The user's stored images and bytes (variants included), as GET /api/v1/user/usage says. */
export async function storageOf(server: LiveServer, user: TestUser): Promise<Storage> {
  const res = await server.target.fetch('/api/v1/user/usage', { headers: bearer(user) });
  expect(res.status).toBe(200);
  const { storage } = (await res.json()) as { storage: Storage };
  return { images_count: storage.images_count, bytes_stored: storage.bytes_stored };
}

// ---- the attacker -----------------------------------------------------------------------------------

export interface RawAttack {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  /** Sent first. */
  head?: Uint8Array;
  /** Filler bytes after `head`, until the server answers or this many bytes in all were sent. */
  total: number;
  /** Bytes per write (64 KiB unless slow). */
  chunk?: number;
  /** Waits this long between writes: a slow client. */
  everyMs?: number;
  /** After `head`, send nothing more and keep the connection open. */
  stall?: boolean;
  /** A Content-Length to declare instead of chunked encoding; then only the headers are sent. */
  contentLength?: number;
  /** The whole exchange is abandoned (and the test fails) after this. */
  timeoutMs?: number;
}

export interface RawAnswer {
  status: number;
  body: string;
  /** Body bytes handed to the connection before the answer came. */
  sent: number;
  ms: number;
}

const FILLER = Buffer.alloc(64 * 1024, 0x41);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/**
 * A moment between the head and the rest, for a server that refuses from the headers to answer.
 * A server that answers while the client floods, then drops the connection with the body unread,
 * resets it; the reset discards an answer the client had not read yet, so without the pause a
 * refusal would show up as a cut connection as often as not.
 */
const HEAD_PAUSE_MS = 100;

/**
 * One HTTP/1.1 request over a plain socket (fetch and node:http give up an early answer when
 * a write fails): the head, a pause, then filler in chunked encoding (or none, with
 * `contentLength` declared) as fast as the socket takes it, until the server answers or
 * `total` bytes were sent. The answer is read as it arrives and kept if the connection is then
 * reset; a connection that ends without one fails the attack.
 */
export function attack(origin: string, spec: RawAttack): Promise<RawAnswer> {
  const started = performance.now();
  const timeoutMs = spec.timeoutMs ?? 30_000;
  const url = new URL(spec.path, origin);
  return new Promise<RawAnswer>((resolve, reject) => {
    const received: Buffer[] = [];
    let sent = 0;
    let answered = false;
    let settled = false;
    const socket = connect(Number(url.port), url.hostname);
    const settle = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const answer = parseAnswer(Buffer.concat(received));
      // No answer at all: the connection was cut (status 0), which the caller judges.
      resolve({ ...(answer ?? { status: 0, body: '' }), sent, ms: Math.round(performance.now() - started) });
    };
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      socket.destroy();
      reject(new Error(`${spec.path}: no answer within ${timeoutMs} ms (${sent} bytes sent)`));
    }, timeoutMs);
    socket.on('data', (d: Buffer) => {
      received.push(d);
      answered = true;
      if (parseAnswer(Buffer.concat(received), true)) settle();
    });
    socket.on('error', () => {});
    socket.on('close', settle);

    const chunked = spec.contentLength === undefined;
    const headers = {
      host: url.host,
      connection: 'close',
      ...spec.headers,
      ...(chunked ? { 'transfer-encoding': 'chunked' } : { 'content-length': String(spec.contentLength) }),
    };
    const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`);
    socket.write(`${spec.method ?? 'POST'} ${url.pathname}${url.search} HTTP/1.1\r\n${lines.join('')}\r\n`);
    const frame = (bytes: Uint8Array) => {
      sent += bytes.length;
      if (!chunked) return socket.write(bytes);
      socket.write(`${bytes.length.toString(16)}\r\n`);
      socket.write(bytes);
      return socket.write('\r\n');
    };
    const drained = () =>
      new Promise<void>((r) => {
        const done = () => {
          socket.off('drain', done);
          socket.off('data', done);
          socket.off('close', done);
          r();
        };
        socket.on('drain', done);
        socket.on('data', done);
        socket.on('close', done);
      });
    const open = () => !answered && !settled && !socket.destroyed;
    (async () => {
      if (!chunked) return; // headers only: the refusal must come from them
      if (spec.head?.length) frame(spec.head);
      await sleep(HEAD_PAUSE_MS);
      if (spec.stall) return;
      const size = spec.chunk ?? FILLER.length;
      while (open() && sent < spec.total) {
        const n = Math.min(size, spec.total - sent);
        if (!frame(n === FILLER.length ? FILLER : FILLER.subarray(0, n))) await drained();
        if (spec.everyMs) await sleep(spec.everyMs);
      }
      if (open()) socket.write('0\r\n\r\n');
    })().catch(() => {});
  });
}

/** Status and body of an HTTP/1.1 answer; with `complete`, only once all of it has arrived. */
function parseAnswer(raw: Buffer, complete = false): { status: number; body: string } | undefined {
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const head = raw.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head[0] ?? '')?.[1]);
  if (!status) return undefined;
  const header = (name: string) =>
    head
      .find((l) => l.toLowerCase().startsWith(`${name}:`))
      ?.slice(name.length + 1)
      .trim()
      .toLowerCase();
  let body = raw.subarray(end + 4);
  if (header('transfer-encoding') === 'chunked') {
    const parts: Buffer[] = [];
    let at = 0;
    for (;;) {
      const nl = body.indexOf('\r\n', at);
      if (nl < 0) return complete ? undefined : { status, body: Buffer.concat(parts).toString('utf8') };
      const n = Number.parseInt(body.subarray(at, nl).toString('latin1'), 16);
      if (!n) break;
      parts.push(body.subarray(nl + 2, nl + 2 + n));
      at = nl + 2 + n + 2;
    }
    body = Buffer.concat(parts);
  } else {
    const length = header('content-length');
    if (complete && (length === undefined || body.length < Number(length))) return undefined;
  }
  return { status, body: body.toString('utf8') };
}

/** A made-up API key of the shape the server issues, naming user `id`. */
export const forgedKey = (id: number) => `iak_${id}_aaaaaaaa_${'A'.repeat(43)}`;
