/**
 * `npm run loadtest [-- --ops N --clients C --runtimes node,bun,workerd]`
 *
 * Starts the app on each runtime (wrangler dev for workerd, `tsx src/node.ts`, `bun src/bun.ts`)
 * on a free loopback port with throwaway data and a random AUTH_SECRET, drives it with C
 * concurrent clients acting as several users through N mixed operations (uploads, fetches with
 * and without Range, filtered lists, tag edits, deletes), then checks against a model of what
 * was sent: every surviving image byte-identical, every deleted one 404, every tag list as the
 * operations left it, no 5xx. Operations on one image are serialised so the model stays exact;
 * different images are hit concurrently. Prints requests, errors, p50/p99 latency and the peak
 * memory of the server's process tree. Exits 1 on any integrity failure. Loopback only.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { noisePng } from '../test/support/images';
import { type Child, type EntryRuntime, killTree, serverEnv, spawnEntry, treeRss } from '../test/support/node/servers';
import { startWranglerDev } from '../test/support/node/wrangler-dev';
import { multipart, type Part } from '../test/support/upload';

const { values: flags } = parseArgs({
  options: {
    ops: { type: 'string', default: '2000' },
    clients: { type: 'string', default: '16' },
    users: { type: 'string', default: '4' },
    runtimes: { type: 'string', default: 'node,bun,workerd' },
  },
});
const OPS = Number(flags.ops);
const CLIENTS = Number(flags.clients);
const USERS = Number(flags.users);
const RUNTIMES = String(flags.runtimes)
  .split(',')
  .map((r) => r.trim())
  .filter(Boolean);
for (const [name, n] of Object.entries({ ops: OPS, clients: CLIENTS, users: USERS })) {
  if (!(Number.isSafeInteger(n) && n > 0)) throw new Error(`--${name} must be a positive integer`);
}
for (const r of RUNTIMES) if (!['node', 'bun', 'workerd'].includes(r)) throw new Error(`unknown runtime ${r}`);

const TAG_POOL = ['red', 'green', 'blue', 'cat', 'dog', 'sky', 'sea', 'tree'];
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const rand = (n: number) => Math.floor(Math.random() * n);
const pick = <T>(items: readonly T[]): T => items[rand(items.length)] as T;
const someTags = () => [...new Set(Array.from({ length: rand(4) }, () => pick(TAG_POOL)))];

// ---- servers ---------------------------------------------------------------------------------

interface Running {
  origin: string;
  /** The pid whose process tree is the server (for memory). */
  pid: number;
  stop(): Promise<void>;
}

async function startEntry(runtime: EntryRuntime, dir: string): Promise<Running> {
  const server = await spawnEntry(runtime, serverEnv(dir), dir, 60_000);
  return { origin: server.origin, pid: server.child.pid as number, stop: () => stopChild(server) };
}

async function stopChild(proc: Child) {
  await proc.stop(10_000);
  killTree(proc); // whatever tsx or wrangler left below
}

async function startWorkerd(dir: string): Promise<Running> {
  const server = await startWranglerDev(dir);
  return { origin: server.origin, pid: server.pid, stop: () => server.stop() };
}

// ---- the model -------------------------------------------------------------------------------

interface User {
  email: string;
  token: string;
}

interface Image {
  id: number;
  user: User;
  bytes: Uint8Array;
  sha256: string;
  tags: string[];
  deleted: boolean;
  busy: boolean;
}

class Run {
  readonly images: Image[] = [];
  readonly latencies: number[] = [];
  readonly failures: string[] = [];
  requests = 0;
  serverErrors = 0;
  connectionErrors = 0;
  unexpected = 0;
  readonly counts: Record<string, number> = {};

  constructor(readonly origin: string) {}

  /** One request, timed; any 5xx is a failure whatever the caller expected. */
  async call(op: string, path: string, init: RequestInit & { user?: User } = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (init.user) headers.set('authorization', `Bearer ${init.user.token}`);
    const started = performance.now();
    const res = await fetch(new URL(path, this.origin), { ...init, headers });
    const body = new Uint8Array(await res.arrayBuffer());
    this.latencies.push(performance.now() - started);
    this.requests++;
    this.counts[op] = (this.counts[op] ?? 0) + 1;
    if (res.status >= 500) {
      this.serverErrors++;
      this.fail(`${op} ${path}: ${res.status} ${new TextDecoder().decode(body).slice(0, 300)}`);
    }
    return new Response(res.status === 204 || res.status === 304 ? null : body, {
      status: res.status,
      headers: res.headers,
    });
  }

  expectStatus(op: string, res: Response, ...statuses: number[]) {
    if (statuses.includes(res.status)) return true;
    this.unexpected++;
    if (res.status < 500) this.fail(`${op}: ${res.status}, expected ${statuses.join(' or ')}`);
    return false;
  }

  fail(message: string) {
    if (this.failures.length < 50) this.failures.push(message);
    else if (this.failures.length === 50) this.failures.push('… more failures left out');
  }
}

const sameTags = (a: string[], b: string[]) => a.length === b.length && a.every((t, i) => t === b[i]);

async function register(run: Run, n: number): Promise<User> {
  const email = `load-${n}-${randomBytes(6).toString('hex')}@example.com`;
  const password = `pw-${randomBytes(12).toString('hex')}`;
  const body = JSON.stringify({ email, password });
  const headers = { 'content-type': 'application/json' };
  const reg = await run.call('register', '/api/v1/user/register', { method: 'POST', headers, body });
  if (reg.status !== 201) throw new Error(`register: ${reg.status} ${await reg.text()}`);
  const login = await run.call('login', '/api/v1/user/login', { method: 'POST', headers, body });
  if (login.status !== 200) throw new Error(`login: ${login.status} ${await login.text()}`);
  return { email, token: ((await login.json()) as { token: string }).token };
}

// ---- operations --------------------------------------------------------------------------------

async function upload(run: Run, user: User) {
  const bytes = await noisePng(16 + rand(80), 16 + rand(80));
  const tags = someTags();
  const parts: Part[] = [{ name: 'image', value: bytes, filename: 'load.png', contentType: 'image/png' }];
  if (tags.length) parts.push({ name: 'tags', value: JSON.stringify(tags), contentType: 'application/json' });
  const { body, contentType } = multipart(parts);
  const res = await run.call('upload', '/api/v1/images', {
    method: 'POST',
    user,
    headers: { 'content-type': contentType },
    body,
  });
  if (!run.expectStatus('upload', res, 201)) return;
  const image = (await res.json()) as { id: number; sha256: string; tags: string[] };
  if (image.sha256 !== sha256(bytes)) run.fail(`upload ${image.id}: sha256 ${image.sha256} is not what was sent`);
  if (!sameTags(image.tags, tags)) run.fail(`upload ${image.id}: tags ${image.tags} instead of ${tags}`);
  run.images.push({ id: image.id, user, bytes, sha256: sha256(bytes), tags, deleted: false, busy: false });
}

async function fetchFile(run: Run, image: Image) {
  const res = await run.call('get file', `/api/v1/images/${image.id}/file`, { user: image.user });
  if (!run.expectStatus('get file', res, 200)) return;
  const got = new Uint8Array(await res.arrayBuffer());
  if (sha256(got) !== image.sha256) run.fail(`get file ${image.id}: bytes differ from the upload`);
}

async function fetchRange(run: Run, image: Image) {
  const start = rand(image.bytes.length);
  const end = start + rand(image.bytes.length - start);
  const res = await run.call('get range', `/api/v1/images/${image.id}/file`, {
    user: image.user,
    headers: { range: `bytes=${start}-${end}` },
  });
  if (!run.expectStatus('get range', res, 206)) return;
  const got = new Uint8Array(await res.arrayBuffer());
  const want = image.bytes.subarray(start, end + 1);
  if (res.headers.get('content-range') !== `bytes ${start}-${end}/${image.bytes.length}`) {
    run.fail(`get range ${image.id}: Content-Range ${res.headers.get('content-range')} for bytes=${start}-${end}`);
  }
  if (got.length !== want.length || sha256(got) !== sha256(want)) run.fail(`get range ${image.id}: wrong bytes`);
}

async function list(run: Run, user: User) {
  const tag = pick(TAG_POOL);
  const query = Math.random() < 0.5 ? `?tag=${tag}&limit=50` : '?limit=20';
  const res = await run.call('list', `/api/v1/images${query}`, { user });
  if (!run.expectStatus('list', res, 200)) return;
  const page = (await res.json()) as { items: { id: number; tags: string[] }[] };
  // An upload of this user may be listed before its own answer arrives, so what is checked here
  // is what holds at any instant: no other user's image, and the filter applied.
  const others = new Set(run.images.filter((i) => i.user !== user).map((i) => i.id));
  for (const item of page.items) {
    if (others.has(item.id)) run.fail(`list: image ${item.id} belongs to another user`);
    if (query.includes('tag=') && !item.tags.includes(tag)) run.fail(`list tag=${tag}: image ${item.id} lacks it`);
  }
}

async function editTags(run: Run, image: Image) {
  const roll = Math.random();
  const base = `/api/v1/images/${image.id}/tags`;
  let res: Response;
  let want: string[];
  let ok: number[];
  if (roll < 0.4) {
    const tags = someTags();
    res = await run.call('replace tags', base, {
      method: 'PUT',
      user: image.user,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ tags }),
    });
    want = tags;
    ok = [200];
  } else if (roll < 0.75) {
    const tag = pick(TAG_POOL);
    res = await run.call('add tag', `${base}/${tag}`, { method: 'POST', user: image.user });
    want = image.tags.includes(tag) ? image.tags : [...image.tags, tag];
    ok = [image.tags.includes(tag) ? 200 : 201];
  } else {
    const tag = Math.random() < 0.7 && image.tags.length ? pick(image.tags) : pick(TAG_POOL);
    res = await run.call('remove tag', `${base}/${tag}`, { method: 'DELETE', user: image.user });
    want = image.tags.filter((t) => t !== tag);
    ok = [200];
  }
  if (!run.expectStatus('tag edit', res, ...ok)) return;
  const { tags } = (await res.json()) as { tags: string[] };
  if (!sameTags(tags, want)) run.fail(`tag edit ${image.id}: ${JSON.stringify(tags)}, model ${JSON.stringify(want)}`);
  image.tags = want;
}

async function remove(run: Run, image: Image) {
  const res = await run.call('delete', `/api/v1/images/${image.id}`, { method: 'DELETE', user: image.user });
  if (run.expectStatus('delete', res, 204)) image.deleted = true;
}

/** A request that got no answer at all (connection refused or cut) is a failure, not a crash. */
async function guarded(run: Run, what: string, op: () => Promise<void>) {
  try {
    await op();
  } catch (err) {
    run.connectionErrors++;
    run.fail(`${what}: ${err instanceof Error ? `${err.message} ${String(err.cause ?? '')}` : String(err)}`);
  }
}

async function drive(run: Run, users: User[]) {
  let next = 0;
  async function client(n: number) {
    const user = users[n % users.length] as User;
    while (next < OPS) {
      next++;
      const idle = run.images.filter((i) => i.user === user && !i.deleted && !i.busy);
      const roll = Math.random();
      if (idle.length < 2 || roll < 0.3) {
        await guarded(run, 'upload', () => upload(run, user));
        continue;
      }
      if (roll < 0.42) {
        await guarded(run, 'list', () => list(run, user));
        continue;
      }
      const image = pick(idle);
      image.busy = true;
      try {
        await guarded(run, `image ${image.id}`, () => {
          if (roll < 0.57) return fetchFile(run, image);
          if (roll < 0.67) return fetchRange(run, image);
          if (roll < 0.9) return editTags(run, image);
          return remove(run, image);
        });
      } finally {
        image.busy = false;
      }
    }
  }
  await Promise.all(Array.from({ length: CLIENTS }, (_, n) => client(n)));
}

/** After the load: the server's state against the model, image by image and list by list. */
async function verify(run: Run, users: User[]) {
  const check = async (image: Image) => {
    if (image.deleted) {
      for (const path of [`/api/v1/images/${image.id}`, `/api/v1/images/${image.id}/file`]) {
        const res = await run.call('verify deleted', path, { user: image.user });
        if (res.status !== 404) run.fail(`deleted image ${image.id}: ${path} answers ${res.status}`);
      }
      return;
    }
    await fetchFile(run, image);
    const res = await run.call('verify tags', `/api/v1/images/${image.id}/tags`, { user: image.user });
    if (!run.expectStatus('verify tags', res, 200)) return;
    const { tags } = (await res.json()) as { tags: string[] };
    if (!sameTags(tags, image.tags)) {
      run.fail(`image ${image.id}: tags ${JSON.stringify(tags)}, model ${JSON.stringify(image.tags)}`);
    }
  };
  // As many at once as there were clients.
  let at = 0;
  const checker = async () => {
    for (let image = run.images[at++]; image; image = run.images[at++])
      await guarded(run, 'verify', () => check(image));
  };
  await Promise.all(Array.from({ length: CLIENTS }, checker));
  for (const user of users) {
    const listed = new Set<number>();
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `?limit=200&cursor=${encodeURIComponent(cursor)}` : '?limit=200';
      const res = await run.call('verify list', `/api/v1/images${query}`, { user });
      if (!run.expectStatus('verify list', res, 200)) break;
      const page = (await res.json()) as { items: { id: number }[]; next_cursor: string | null };
      for (const item of page.items) listed.add(item.id);
      cursor = page.next_cursor;
    } while (cursor);
    const alive = run.images.filter((i) => i.user === user && !i.deleted).map((i) => i.id);
    const missing = alive.filter((id) => !listed.has(id));
    const extra = [...listed].filter((id) => !alive.includes(id));
    if (missing.length || extra.length) {
      run.fail(`${user.email}: list misses ${JSON.stringify(missing)} and has extra ${JSON.stringify(extra)}`);
    }
  }
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;

async function loadOne(runtime: string) {
  const dir = await mkdtemp(join(tmpdir(), `imageapi-load-${runtime}-`));
  let server: Running | undefined;
  try {
    server = runtime === 'workerd' ? await startWorkerd(dir) : await startEntry(runtime as EntryRuntime, dir);
    const running = server;
    let peak = treeRss(running.pid);
    const sampler = setInterval(() => {
      peak = Math.max(peak, treeRss(running.pid));
    }, 200);
    const run = new Run(running.origin);
    const started = performance.now();
    try {
      const users: User[] = [];
      for (let n = 0; n < USERS; n++) users.push(await register(run, n));
      await drive(run, users);
      const loadSeconds = (performance.now() - started) / 1000;
      const loadRequests = run.requests;
      await verify(run, users);
      peak = Math.max(peak, treeRss(running.pid));
      const sorted = [...run.latencies].sort((a, b) => a - b);
      return {
        runtime,
        ops: OPS,
        clients: CLIENTS,
        users: USERS,
        requests: run.requests,
        'req/s (load)': Math.round(loadRequests / loadSeconds),
        errors: run.serverErrors + run.unexpected + run.connectionErrors,
        '5xx': run.serverErrors,
        'p50 ms': Number(percentile(sorted, 0.5).toFixed(1)),
        'p99 ms': Number(percentile(sorted, 0.99).toFixed(1)),
        'peak RSS MB': Math.round(peak / 2 ** 20),
        images: run.images.length,
        deleted: run.images.filter((i) => i.deleted).length,
        failures: run.failures,
      };
    } finally {
      clearInterval(sampler);
    }
  } finally {
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

const results = [];
let failed = false;
for (const runtime of RUNTIMES) {
  console.log(`loadtest: ${runtime}, ${OPS} operations from ${CLIENTS} clients as ${USERS} users…`);
  try {
    const result = await loadOne(runtime);
    results.push(result);
    if (result.failures.length) {
      failed = true;
      console.error(`loadtest: ${runtime} FAILED integrity checks:\n  ${result.failures.join('\n  ')}`);
    }
  } catch (err) {
    failed = true;
    console.error(`loadtest: ${runtime} could not run: ${err instanceof Error ? err.stack : String(err)}`);
  }
}
console.table(results.map(({ failures, ...row }) => ({ ...row, integrity: failures.length ? 'FAILED' : 'ok' })));
process.exit(failed ? 1 : 0);
