// `npm run bench`: each route of the app against the floor its runtime sets, in the same run.
// For Node, Bun and workerd (wrangler dev) it starts the app and, beside it, the baseline in
// bench/ (baseline-local.ts, baseline-worker/) that does only the storage work each route must
// do, then loads each route with autocannon (8 connections), app and baseline interleaved so
// drift in machine load hits both alike; then logs in repeatedly and, on Node and Bun, sends and
// fetches one 100 MB image. Prints req/s, p50/p99 latency, server CPU per request
// and peak RSS, and the ratio app/baseline per route and runtime; writes the figures as JSON to
// bench/results/ (git-ignored). Only ratios within one run mean much on a shared machine.
//
// BENCH_SECONDS (default 3) is the length of one timed run and BENCH_ROUNDS (default 3) how many
// there are per side; each round's own ratio is printed beside the pooled one, so the spread a
// shared machine puts into a figure shows with it. BENCH_RUNTIMES (default
// "node,bun,workerd") picks runtimes; BENCH_ONLY=big runs only the 100 MB upload and download,
// BENCH_ONLY=routes only the route ratios.
// Then the lists at scale (bench/lists.ts) on Node and Bun; `--only-lists` (`npm run bench:lists`)
// runs only those.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import autocannon from 'autocannon';
import { hashPassword } from '../src/auth/password';
import { crc32 } from '../test/support/images';
import { freePort } from '../test/support/node/servers';
import { benchLists } from './lists';
import { cpuSeconds, memMiB, resetPeak } from './proc';

type Runtime = 'node' | 'bun' | 'workerd';
const RUNTIMES = (process.env.BENCH_RUNTIMES ?? 'node,bun,workerd').split(',') as Runtime[];
/** A positive number from the environment (a whole one if `whole`), or `fallback` when unset. */
function setting(name: string, fallback: number, whole = false): number {
  const value = Number(process.env[name] ?? fallback);
  if (!(value > 0) || (whole && !Number.isInteger(value))) {
    throw new Error(`${name} must be a ${whole ? 'whole ' : ''}number > 0, not ${process.env[name]}`);
  }
  return value;
}
const SECONDS = setting('BENCH_SECONDS', 3);
/** Timed runs per side and route, app and baseline alternating. */
const ROUNDS = setting('BENCH_ROUNDS', 3, true);
const CONNECTIONS = 8;
const IMAGES = 20;
const ONLY_BIG = process.env.BENCH_ONLY === 'big';
/** BENCH_ONLY=routes: only the route ratios (no login, 100 MB transfer or lists). */
const ONLY_ROUTES = process.env.BENCH_ONLY === 'routes';
const BIG_UPLOAD_BYTES = 100 * 1000 * 1000;
/** Issue 11's targets for the 100 MB upload on Node and Bun. */
const BIG_TARGETS = { maxRssGrowthMiB: 64, minUploadMBps: 80 };
const ROOT = new URL('..', import.meta.url).pathname;
const BIN = join(ROOT, 'node_modules/.bin');
const quietEnv = { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false' };

// --- processes -----------------------------------------------------------------------------------

interface Server {
  name: string;
  base: string;
  child: ChildProcess;
  output: () => string;
}

/** Starts a process in its own group (so its whole tree stops with it) and waits for a port. */
async function launch(
  name: string,
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  port: number | ((output: string) => number | undefined),
  ready = '/',
): Promise<Server> {
  const child = spawn(command, args, { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  for (const s of [child.stdout, child.stderr]) s?.on('data', (d: Buffer) => (output += d.toString()));
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited (${child.exitCode}):\n${output}`);
    const p = typeof port === 'number' ? port : port(output);
    if (p) {
      const base = `http://127.0.0.1:${p}`;
      const ok = await fetch(base + ready).then(
        (r) => r.status < 500,
        () => false,
      );
      if (ok) return { name, base, child, output: () => output };
    }
    if (Date.now() > deadline) throw new Error(`${name} did not answer within 120 s:\n${output}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

async function stop(server: Server | undefined) {
  const { child } = server ?? {};
  if (!child?.pid || child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  process.kill(-child.pid, 'SIGTERM');
  const timer = setTimeout(() => child.pid && process.kill(-child.pid, 'SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

// --- payloads ------------------------------------------------------------------------------------

function pngChunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const tail = Buffer.alloc(4);
  tail.writeUInt32BE(crc32(Buffer.from(type, 'ascii'), data), 0);
  return Buffer.concat([head, data, tail]);
}

/** A decodable 10 KB-ish RGB PNG of noise (noise does not compress). */
function noisePng(side = 57): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(side, 0);
  ihdr.writeUInt32BE(side, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const raw = randomBytes((1 + side * 3) * side);
  for (let y = 0; y < side; y++) raw[y * (1 + side * 3)] = 0;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', deflateSync(raw)),
    pngChunk('IEND', new Uint8Array()),
  ]);
}

const BOUNDARY = 'benchboundary7MA4YWxkTrZu0gW';
function multipart(image: Buffer): Buffer {
  return Buffer.concat([
    Buffer.from(
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="image"; filename="bench.png"\r\nContent-Type: image/png\r\n\r\n`,
    ),
    image,
    Buffer.from(
      `\r\n--${BOUNDARY}\r\nContent-Disposition: form-data; name="tags"\r\nContent-Type: application/json\r\n\r\n["cat","garden"]\r\n--${BOUNDARY}--\r\n`,
    ),
  ]);
}
const UPLOAD_TYPE = `multipart/form-data; boundary=${BOUNDARY}`;

// --- the apps ------------------------------------------------------------------------------------

interface Target {
  server: Server;
  /** route name → request options. */
  routes: Record<string, { path: string; method?: string; headers?: Record<string, string>; body?: Buffer }>;
}

const ROUTE_NAMES = ['fetch', 'list', 'upload'] as const;
/** Issue 11's targets for the ratio app/baseline, per route (on workerd and Node; Bun beside them). */
const ROUTE_TARGETS: Record<(typeof ROUTE_NAMES)[number], number> = { fetch: 0.8, list: 0.6, upload: 0.7 };

async function post(url: string, body: string | Uint8Array<ArrayBuffer>, headers: Record<string, string> = {}) {
  const r = await fetch(url, { method: 'POST', body, headers });
  const text = await r.text();
  if (!r.ok) throw new Error(`POST ${url} → ${r.status}: ${text}`);
  return JSON.parse(text) as Record<string, unknown>;
}

/** Two users: one with 20 images of 2 tags each (fetch, list), one that uploads. */
async function seedApp(server: Server, image: Buffer): Promise<Target> {
  const tokens: string[] = [];
  const password = 'correct horse battery staple';
  for (const who of ['reader', 'writer']) {
    const email = `${who}-${randomBytes(4).toString('hex')}@example.com`;
    const json = { 'content-type': 'application/json' };
    await post(`${server.base}/api/v1/user/register`, JSON.stringify({ email, password }), json);
    const login = await post(`${server.base}/api/v1/user/login`, JSON.stringify({ email, password }), json);
    tokens.push(String(login.token));
  }
  const [reader, writer] = tokens.map((t) => ({ authorization: `Bearer ${t}` }));
  let firstId = 0;
  for (let i = 0; i < IMAGES; i++) {
    const made = await post(`${server.base}/api/images`, new Uint8Array(multipart(image)), {
      ...reader,
      'content-type': UPLOAD_TYPE,
    });
    firstId ||= Number(made.img_id);
  }
  const creds = { email: `login-${randomBytes(4).toString('hex')}@example.com`, password };
  await post(`${server.base}/api/v1/user/register`, JSON.stringify(creds), { 'content-type': 'application/json' });
  return {
    server,
    routes: {
      fetch: { path: `/api/image/${firstId}`, headers: reader },
      list: { path: '/api/images', headers: reader },
      upload: {
        path: '/api/images',
        method: 'POST',
        headers: { ...writer, 'content-type': UPLOAD_TYPE },
        body: multipart(image),
      },
      login: {
        path: '/api/v1/user/login',
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: Buffer.from(JSON.stringify(creds)),
      },
    },
  };
}

function baselineTarget(server: Server, firstId: number, image: Buffer): Target {
  return {
    server,
    routes: {
      fetch: { path: `/img/${firstId}` },
      list: { path: '/list' },
      upload: { path: '/upload', method: 'POST', headers: { 'content-type': UPLOAD_TYPE }, body: multipart(image) },
    },
  };
}

async function startPair(runtime: Runtime, work: string): Promise<[Server, Server, number]> {
  const secret = randomBytes(32).toString('hex');
  if (runtime === 'workerd') {
    const appDir = join(work, 'app');
    const baseDir = join(work, 'baseline');
    const migrate = (config: string[], dir: string) => {
      const r = spawnSync(
        join(BIN, 'wrangler'),
        ['d1', 'migrations', 'apply', 'DB', '--local', '--persist-to', dir, ...config],
        {
          cwd: ROOT,
          env: quietEnv,
          encoding: 'utf8',
        },
      );
      if (r.status !== 0) throw new Error(`migrations failed:\n${r.stdout}${r.stderr}`);
    };
    const baselineConfig = ['-c', 'bench/baseline-worker/wrangler.toml'];
    migrate([], appDir);
    migrate(baselineConfig, baseDir);
    const dev = async (name: string, config: string[], dir: string, vars: string[]) => {
      const [port, inspector] = [await freePort(), await freePort()];
      return launch(
        name,
        join(BIN, 'wrangler'),
        [
          'dev',
          ...config,
          '--ip',
          '127.0.0.1',
          '--port',
          String(port),
          '--inspector-port',
          String(inspector),
          '--persist-to',
          dir,
          ...vars,
        ],
        quietEnv,
        port,
      );
    };
    const app = await dev('workerd app', [], appDir, ['--var', `AUTH_SECRET:${secret}`]);
    const baseline = await dev('workerd baseline', baselineConfig, baseDir, []);
    const seeded = await post(`${baseline.base}/seed`, '');
    return [app, baseline, Number((seeded.ids as number[])[0])];
  }
  const appEnv = {
    ...process.env,
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: '0',
    AUTH_SECRET: secret,
    DATABASE_URL: `file:${join(work, 'app.db')}`,
    IMAGES_DIR: join(work, 'images'),
    // Room for the 100 MB upload below.
    MAX_UPLOAD_BYTES: String(BIG_UPLOAD_BYTES + 1024 * 1024),
  };
  const listening = (output: string) => {
    const m = /"port":(\d+)/.exec(output);
    return m ? Number(m[1]) : undefined;
  };
  const [cmd, appArgs, baseArgs] =
    runtime === 'node'
      ? [join(BIN, 'tsx'), ['src/node.ts'], ['bench/baseline-local.ts', join(work, 'baseline')]]
      : [join(BIN, 'bun'), ['src/bun.ts'], ['bench/baseline-local.ts', join(work, 'baseline')]];
  const app = await launch(`${runtime} app`, cmd, appArgs, appEnv, listening, '/api/openapi.json');
  const baseline = await launch(`${runtime} baseline`, cmd, baseArgs, process.env, listening, '/list');
  return [app, baseline, 1];
}

// --- measuring -----------------------------------------------------------------------------------

interface Run {
  requests: number;
  seconds: number;
  p50: number;
  p99: number;
  cpuSeconds: number;
  bad: number;
}

async function load(target: Target, route: string, seconds: number): Promise<Run> {
  const spec = target.routes[route];
  if (!spec) throw new Error(`no route ${route}`);
  const pid = target.server.child.pid as number;
  const cpu0 = cpuSeconds(pid);
  const result = await autocannon({
    url: target.server.base + spec.path,
    connections: CONNECTIONS,
    duration: seconds,
    method: (spec.method ?? 'GET') as 'GET',
    headers: spec.headers ?? {},
    ...(spec.body ? { body: spec.body } : {}),
  });
  return {
    requests: result.requests.total,
    seconds: result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    cpuSeconds: cpuSeconds(pid) - cpu0,
    bad: result.non2xx + result.errors + result.timeouts,
  };
}

function summarise(runs: Run[]) {
  const requests = runs.reduce((s, r) => s + r.requests, 0);
  const seconds = runs.reduce((s, r) => s + r.seconds, 0);
  const mean = (f: (r: Run) => number) => runs.reduce((s, r) => s + f(r), 0) / runs.length;
  return {
    reqPerSec: requests / seconds,
    p50ms: mean((r) => r.p50),
    p99ms: mean((r) => r.p99),
    cpuMsPerReq: (runs.reduce((s, r) => s + r.cpuSeconds, 0) * 1000) / Math.max(1, requests),
    failed: runs.reduce((s, r) => s + r.bad, 0),
  };
}
type Summary = ReturnType<typeof summarise> & { peakRssMiB: number };
const rate = (r: Run) => r.requests / r.seconds;
/** A route's figures: the ratio is pooled over all rounds (requests over seconds, each side). */
interface RouteResult {
  app: Summary;
  baseline: Summary;
  ratio: number;
  roundRatios: number[];
}

/**
 * One request over node:http, the body written in one go and the answer counted as it arrives
 * (kept as text only when small). The 100 MB transfer measures the server: undici's `fetch` as the
 * client, sharing the 2 cores, capped the upload at 55–65 MB/s where node:http and curl reach
 * ~200 MB/s against the same server.
 */
function transfer(method: string, url: string, headers: Record<string, string>, body?: Buffer) {
  return new Promise<{ status: number; bytes: number; text: string }>((resolve, reject) => {
    const req = request(
      url,
      { method, headers: body ? { ...headers, 'content-length': body.length } : headers },
      (res) => {
        let bytes = 0;
        const small: Buffer[] = [];
        res.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          if (bytes <= 64 * 1024) small.push(chunk);
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes, text: Buffer.concat(small).toString() }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** One 100 MB upload and its download: MB/s each way and how far the server's peak RSS rose. */
async function bigTransfer(target: Target, image: Buffer) {
  const pid = target.server.child.pid as number;
  // Reset the peak (VmHWM) to the current RSS, so the peak read afterwards is this transfer's.
  resetPeak(pid);
  const before = memMiB(pid, 'VmRSS');
  const image100 = Buffer.alloc(BIG_UPLOAD_BYTES);
  image.copy(image100); // a PNG header in front; the rest is zeros
  const body = multipart(image100); // built before the clock starts: the client's work is not the server's
  const headers = target.routes.upload?.headers ?? {};
  let t0 = performance.now();
  const made = await transfer('POST', `${target.server.base}/api/images`, headers, body);
  const uploadS = (performance.now() - t0) / 1000;
  if (made.status !== 201) throw new Error(`100 MB upload → ${made.status}: ${made.text}`);
  const uploadPeak = memMiB(pid, 'VmHWM');
  const id = (JSON.parse(made.text) as { img_id: number }).img_id;
  t0 = performance.now();
  const got = await transfer('GET', `${target.server.base}/api/image/${id}`, {
    authorization: headers.authorization ?? '',
  });
  const downloadS = (performance.now() - t0) / 1000;
  if (got.bytes !== BIG_UPLOAD_BYTES) throw new Error(`downloaded ${got.bytes} bytes, not ${BIG_UPLOAD_BYTES}`);
  const out = {
    uploadMBps: BIG_UPLOAD_BYTES / 1e6 / uploadS,
    downloadMBps: BIG_UPLOAD_BYTES / 1e6 / downloadS,
    rssBeforeMiB: before,
    peakRssGrowthMiB: Math.max(uploadPeak, memMiB(pid, 'VmHWM')) - before,
  };
  const verdict = (ok: boolean) => (ok ? 'met' : 'MISSED');
  console.log(
    `         100 MB   upload ${out.uploadMBps.toFixed(0)} MB/s (target ≥ ${BIG_TARGETS.minUploadMBps}: ${verdict(out.uploadMBps >= BIG_TARGETS.minUploadMBps)}), ` +
      `download ${out.downloadMBps.toFixed(0)} MB/s, peak RSS +${out.peakRssGrowthMiB.toFixed(0)} MiB ` +
      `(target ≤ ${BIG_TARGETS.maxRssGrowthMiB}: ${verdict(out.peakRssGrowthMiB <= BIG_TARGETS.maxRssGrowthMiB)}; from ${before.toFixed(0)} MiB)`,
  );
  return out;
}

/** The resumable upload (issue 25): 1 GiB in parts, a few at a time, then completed. */
const PARTS_UPLOAD_BYTES = 1024 * 1024 * 1024;
const PARTS_IN_FLIGHT = 4;

/**
 * 1 GiB through an upload session: MB/s for the parts (beside the single-request upload's
 * figure), how long completion took (assembling and hashing the stored bytes), and how far the
 * server's peak RSS rose, against the same bound as the streaming upload.
 */
async function partsTransfer(target: Target, image: Buffer) {
  const pid = target.server.child.pid as number;
  resetPeak(pid);
  const before = memMiB(pid, 'VmRSS');
  const headers = target.routes.upload?.headers ?? {};
  const auth = { authorization: headers.authorization ?? '', 'content-type': 'application/json' };
  const begun = await transfer(
    'POST',
    `${target.server.base}/api/v1/uploads`,
    auth,
    Buffer.from(JSON.stringify({ file_name: 'big.png', content_type: 'image/png', size: PARTS_UPLOAD_BYTES })),
  );
  if (begun.status !== 201) throw new Error(`upload session → ${begun.status}: ${begun.text}`);
  const session = JSON.parse(begun.text) as {
    id: string;
    part_size: number;
    parts: { number: number; size: number; url: string; headers: Record<string, string> }[];
  };
  // One buffer per part size, reused: the client's memory is not what is measured.
  const full = Buffer.alloc(session.part_size);
  const first = Buffer.alloc(session.part_size);
  image.copy(first); // a PNG header in front; the rest is zeros
  const queue = [...session.parts];
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: PARTS_IN_FLIGHT }, async () => {
      for (let part = queue.shift(); part; part = queue.shift()) {
        const body = (part.number === 1 ? first : full).subarray(0, part.size);
        const url = new URL(part.url, target.server.base).href;
        const sent = await transfer('PUT', url, part.headers, body);
        if (sent.status !== 200) throw new Error(`part ${part.number} → ${sent.status}: ${sent.text}`);
      }
    }),
  );
  const partsS = (performance.now() - t0) / 1000;
  const t1 = performance.now();
  const done = await transfer('POST', `${target.server.base}/api/v1/uploads/${session.id}/complete`, {
    authorization: auth.authorization,
  });
  const completeS = (performance.now() - t1) / 1000;
  if (done.status !== 201) throw new Error(`complete → ${done.status}: ${done.text}`);
  const out = {
    partsMBps: PARTS_UPLOAD_BYTES / 1e6 / partsS,
    completeSeconds: completeS,
    rssBeforeMiB: before,
    peakRssGrowthMiB: memMiB(pid, 'VmHWM') - before,
  };
  const verdict = (ok: boolean) => (ok ? 'met' : 'MISSED');
  console.log(
    `         1 GiB in ${session.parts.length} parts (${PARTS_IN_FLIGHT} at a time) ${out.partsMBps.toFixed(0)} MB/s, ` +
      `complete ${out.completeSeconds.toFixed(1)} s, peak RSS +${out.peakRssGrowthMiB.toFixed(0)} MiB ` +
      `(target ≤ ${BIG_TARGETS.maxRssGrowthMiB}: ${verdict(out.peakRssGrowthMiB <= BIG_TARGETS.maxRssGrowthMiB)}; from ${before.toFixed(0)} MiB)`,
  );
  return out;
}

async function benchLogin(runtime: Runtime, appTarget: Target, app: Server) {
  await load(appTarget, 'login', 1);
  const login = {
    ...summarise([await load(appTarget, 'login', SECONDS)]),
    peakRssMiB: memMiB(app.child.pid as number, 'VmHWM'),
  };
  console.log(
    `${runtime.padEnd(8)} login    ${fmt(login.reqPerSec)} req/s  p50 ${login.p50ms.toFixed(1)} ms  p99 ${login.p99ms.toFixed(1)} ms  cpu ${login.cpuMsPerReq.toFixed(2)} ms/req${login.failed ? `  FAILED ${login.failed}` : ''}`,
  );
  return login;
}

async function benchRuntime(runtime: Runtime, image: Buffer) {
  const work = mkdtempSync(join(tmpdir(), `imageapi-bench-${runtime}-`));
  let app: Server | undefined;
  let baseline: Server | undefined;
  try {
    let firstId: number;
    [app, baseline, firstId] = await startPair(runtime, work);
    const appTarget = await seedApp(app, image);
    const baseTarget = baselineTarget(baseline, firstId, image);
    const routes: Record<string, RouteResult> = {};
    for (const route of ONLY_BIG ? [] : ROUTE_NAMES) {
      // Warm both (JIT, caches, connections), then interleave the timed runs.
      await load(appTarget, route, 1);
      await load(baseTarget, route, 1);
      const runs = { app: [] as Run[], baseline: [] as Run[] };
      for (let round = 0; round < ROUNDS; round++) {
        runs.app.push(await load(appTarget, route, SECONDS));
        runs.baseline.push(await load(baseTarget, route, SECONDS));
      }
      const a = { ...summarise(runs.app), peakRssMiB: memMiB(app.child.pid as number, 'VmHWM') };
      const b = { ...summarise(runs.baseline), peakRssMiB: memMiB(baseline.child.pid as number, 'VmHWM') };
      // Each round's app run against the baseline run right after it: load that drifts between
      // rounds moves these apart, where the pooled ratio would hide it.
      const roundRatios = runs.app.map((r, i) => rate(r) / rate(runs.baseline[i] as Run));
      routes[route] = { app: a, baseline: b, ratio: a.reqPerSec / b.reqPerSec, roundRatios };
      print(runtime, route, routes[route]);
    }
    const login = ONLY_BIG || ONLY_ROUTES ? undefined : await benchLogin(runtime, appTarget, app);
    const big = runtime === 'workerd' || ONLY_ROUTES ? undefined : await bigTransfer(appTarget, image);
    const parts = runtime === 'workerd' || ONLY_ROUTES ? undefined : await partsTransfer(appTarget, image);
    return { routes, login, big, parts };
  } finally {
    await stop(app);
    await stop(baseline);
    rmSync(work, { recursive: true, force: true });
  }
}

const fmt = (n: number) => n.toFixed(0).padStart(6);
function print(runtime: string, route: string, r: RouteResult) {
  const side = (s: Summary) =>
    `${fmt(s.reqPerSec)} req/s p50 ${s.p50ms.toFixed(1).padStart(5)} p99 ${s.p99ms.toFixed(1).padStart(6)} ms cpu ${s.cpuMsPerReq.toFixed(3)} ms/req rss ${s.peakRssMiB.toFixed(0)} MiB${s.failed ? ` FAILED ${s.failed}` : ''}`;
  const target = ROUTE_TARGETS[route as keyof typeof ROUTE_TARGETS];
  const verdict = target === undefined ? '' : ` (target ≥ ${target}: ${r.ratio >= target ? 'met' : 'MISSED'})`;
  const rounds = r.roundRatios.map((x) => `${x.toFixed(2)}×`).join(' ');
  console.log(`${runtime.padEnd(8)} ${route.padEnd(8)} ratio ${r.ratio.toFixed(2)}×${verdict}; by round ${rounds}`);
  console.log(`           app      ${side(r.app)}`);
  console.log(`           baseline ${side(r.baseline)}`);
}

async function hashMs(): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    await hashPassword('correct horse battery staple');
    samples.push(performance.now() - t0);
  }
  return samples.sort((a, b) => a - b)[2] as number;
}

const started = new Date();
const image = noisePng();
const hash = await hashMs();
console.log(
  `ImageAPI bench ${started.toISOString()}: ${CONNECTIONS} connections, ${ROUNDS}×${SECONDS} s per side, ` +
    `${image.length} B PNG; password hash alone (PBKDF2, Node): ${hash.toFixed(1)} ms`,
);
const results: Record<string, unknown> = {};
const onlyLists = process.argv.includes('--only-lists');
for (const runtime of onlyLists ? [] : RUNTIMES) {
  try {
    results[runtime] = await benchRuntime(runtime, image);
  } catch (err) {
    console.error(`${runtime}: ${err instanceof Error ? err.message : String(err)}`);
    results[runtime] = { error: String(err) };
    process.exitCode = 1;
  }
}
if (!ONLY_ROUTES && !ONLY_BIG) results.lists = await benchLists(RUNTIMES);
const outDir = join(ROOT, 'bench/results');
mkdirSync(outDir, { recursive: true });
const file = join(outDir, `bench-${started.toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(
  file,
  `${JSON.stringify(
    {
      date: started.toISOString(),
      node: process.version,
      cpus: (await import('node:os')).cpus().length,
      loadavg: (await import('node:os')).loadavg(),
      connections: CONNECTIONS,
      seconds: SECONDS,
      rounds: ROUNDS,
      hashMs: hash,
      results,
    },
    null,
    2,
  )}\n`,
);
console.log(`wrote ${file}`);
