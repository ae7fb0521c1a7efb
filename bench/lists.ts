// Lists at scale, part of `npm run bench` (`npm run bench:lists` runs only this): on Node and
// Bun, the app (`src/node.ts` / `src/bun.ts`) with rows seeded straight into its SQLite file
// (test/support/list-seed.ts), then
//   - the legacy list (`GET /api/images`) of a user with 50,000 images: time to the last byte and
//     how far the server's peak RSS rose (target ≤ 128 MiB: it streams page by page);
//   - a v1 page (`GET /api/v1/images`, 50 items) for a user with 100 images and one with
//     100,000: median latency of sequential requests, interleaved, and the ratio (target ≤ 1.5),
//     for the first page and for a page found by cursor halfway down the list.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@libsql/client';
import { seedImagesSql } from '../test/support/list-seed';
import { memMiB, resetPeak } from './proc';

const ROOT = new URL('..', import.meta.url).pathname;
const BIN = join(ROOT, 'node_modules/.bin');
const LEGACY_IMAGES = 50_000;
const SMALL = 100;
const LARGE = 100_000;
const PAGE_ROUNDS = 200;

type Runtime = 'node' | 'bun';

async function start(runtime: Runtime, work: string): Promise<{ child: ChildProcess; base: string; db: string }> {
  const db = join(work, 'app.db');
  const env = {
    ...process.env,
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: '0',
    AUTH_SECRET: randomBytes(32).toString('hex'),
    DATABASE_URL: `file:${db}`,
    IMAGES_DIR: join(work, 'images'),
  };
  const [cmd, args] = runtime === 'node' ? [join(BIN, 'tsx'), ['src/node.ts']] : [join(BIN, 'bun'), ['src/bun.ts']];
  const child = spawn(cmd, args, { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  for (const s of [child.stdout, child.stderr]) s?.on('data', (d: Buffer) => (output += d.toString()));
  const deadline = Date.now() + 60_000;
  for (;;) {
    const port = /"port":(\d+)/.exec(output)?.[1];
    if (port) return { child, base: `http://127.0.0.1:${port}`, db };
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`${runtime} did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function stop(child: ChildProcess) {
  if (!child.pid || child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  process.kill(-child.pid, 'SIGTERM');
  const timer = setTimeout(() => child.pid && process.kill(-child.pid, 'SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

async function newUser(base: string, db: string, images: number): Promise<{ authorization: string }> {
  const email = `lists-${randomBytes(4).toString('hex')}@example.com`;
  const password = 'correct horse battery staple';
  const json = { 'content-type': 'application/json' };
  const reg = await fetch(`${base}/api/v1/user/register`, {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ email, password }),
  });
  const { id } = (await reg.json()) as { id: number };
  const login = await fetch(`${base}/api/v1/user/login`, {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ email, password }),
  });
  const { token } = (await login.json()) as { token: string };
  const client = createClient({ url: `file:${db}` });
  try {
    for (const s of seedImagesSql(id, images)) await client.execute(s);
  } finally {
    client.close();
  }
  return { authorization: `Bearer ${token}` };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

async function timed(url: string, headers: Record<string, string>): Promise<number> {
  const t0 = performance.now();
  const r = await fetch(url, { headers });
  await r.arrayBuffer();
  if (r.status !== 200) throw new Error(`GET ${url} → ${r.status}`);
  return performance.now() - t0;
}

async function benchRuntime(runtime: Runtime) {
  const work = mkdtempSync(join(tmpdir(), `imageapi-bench-lists-${runtime}-`));
  const app = await start(runtime, work);
  try {
    const pid = app.child.pid as number;
    const legacyUser = await newUser(app.base, app.db, LEGACY_IMAGES);
    const small = await newUser(app.base, app.db, SMALL);
    const large = await newUser(app.base, app.db, LARGE);

    // Legacy list of 50,000: warm the route on a small list first, then measure one full answer.
    await timed(`${app.base}/api/images`, small);
    resetPeak(pid);
    const rssBefore = memMiB(pid, 'VmRSS');
    const t0 = performance.now();
    const res = await fetch(`${app.base}/api/images`, { headers: legacyUser });
    const text = await res.text();
    const legacySeconds = (performance.now() - t0) / 1000;
    const count = (JSON.parse(text) as unknown[]).length;
    if (res.status !== 200 || count !== LEGACY_IMAGES) throw new Error(`legacy list: ${res.status}, ${count} items`);
    const legacy = {
      images: count,
      bytes: Buffer.byteLength(text),
      seconds: legacySeconds,
      rssBeforeMiB: rssBefore,
      peakRssGrowthMiB: memMiB(pid, 'VmHWM') - rssBefore,
    };
    console.log(
      `${runtime.padEnd(8)} legacy list of ${count}: ${legacy.seconds.toFixed(2)} s, ${(legacy.bytes / 1e6).toFixed(1)} MB, peak RSS +${legacy.peakRssGrowthMiB.toFixed(0)} MiB (from ${rssBefore.toFixed(0)} MiB; target ≤ 128)`,
    );

    // A cursor halfway down the large user's list, as a client paging down would hold.
    let cursor = '';
    for (let seen = 0; seen < LARGE / 2; seen += 200) {
      const page = (await (
        await fetch(`${app.base}/api/v1/images?limit=200${cursor ? `&cursor=${cursor}` : ''}`, { headers: large })
      ).json()) as { next_cursor: string };
      cursor = encodeURIComponent(page.next_cursor);
    }
    const cases = {
      [`first page, ${SMALL}`]: [`${app.base}/api/v1/images`, small],
      [`first page, ${LARGE}`]: [`${app.base}/api/v1/images`, large],
      [`page at ${LARGE / 2}, ${LARGE}`]: [`${app.base}/api/v1/images?cursor=${cursor}`, large],
    } as const;
    const samples: Record<string, number[]> = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
    for (const [url, headers] of Object.values(cases)) for (let i = 0; i < 20; i++) await timed(url, headers);
    for (let round = 0; round < PAGE_ROUNDS; round++) {
      // Interleaved, so drift in machine load hits every case alike.
      for (const [name, [url, headers]] of Object.entries(cases)) samples[name]?.push(await timed(url, headers));
    }
    const ms = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
    const base = ms[`first page, ${SMALL}`] as number;
    const v1 = Object.fromEntries(Object.entries(ms).map(([k, m]) => [k, { medianMs: m, ratio: m / base }]));
    for (const [name, r] of Object.entries(v1)) {
      console.log(
        `${runtime.padEnd(8)} v1 page (50), ${name.padEnd(24)} median ${r.medianMs.toFixed(2)} ms  ratio ${r.ratio.toFixed(2)}× (target ≤ 1.5)`,
      );
    }
    return { legacy, v1 };
  } finally {
    await stop(app.child);
    rmSync(work, { recursive: true, force: true });
  }
}

/** Runs the list benchmarks on each runtime given; errors are reported per runtime. */
export async function benchLists(runtimes: readonly string[]) {
  const results: Record<string, unknown> = {};
  for (const runtime of runtimes.filter((r): r is Runtime => r === 'node' || r === 'bun')) {
    try {
      results[runtime] = await benchRuntime(runtime);
    } catch (err) {
      console.error(`lists on ${runtime}: ${err instanceof Error ? err.message : String(err)}`);
      results[runtime] = { error: String(err) };
      process.exitCode = 1;
    }
  }
  return results;
}
