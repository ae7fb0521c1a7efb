/**
 * Several servers as one service: a sqld primary and replica, an S3-compatible store
 * (moto_server), and three app servers that share nothing but those two: Node on the primary,
 * Node reading through the replica (DATABASE_PRIMARY_URL), Bun on the primary. Every server is
 * its own process on loopback. What one writes, the others serve at once; a burst spread over all
 * three loses nothing; two housekeeping runs at once remove no live bytes; a server stopped with
 * SIGTERM mid-burst finishes or cleanly refuses what it had in flight.
 *
 * Usage counts are written after each response (USAGE_FLUSH_SECONDS, here 0: at once after the
 * response, as on a single server), so they are checked to agree exactly once written.
 */
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLibsql } from '../../src/db/libsql';
import { setOperator } from '../../src/services/admin';
import { sweepOrphanBytes } from '../../src/services/housekeeping';
import { LOGIN_LIMITS } from '../../src/services/login-throttle';
import { setQuota } from '../support/admin';
import { bearer, json, newUser, type TestUser, uniqueEmail } from '../support/client';
import { png } from '../support/images';
import { type ClusterStore, startClusterStore } from '../support/node/cluster-store';
import {
  type ChildServer,
  httpTarget,
  httpTargetFrom,
  randomLoopbackAddress,
  spawnEntry,
} from '../support/node/servers';
import { type SqldPair, startSqldPair } from '../support/node/sqld';
import { OPERATOR_EMAIL, OPERATOR_PASSWORD } from '../support/operator';
import type { Target } from '../support/target';
import { upload, uploadRaw } from '../support/upload';

type Name = 'node-primary' | 'node-replica' | 'bun';
interface Member {
  name: Name;
  runtime: 'node' | 'bun';
  env: Record<string, string>;
  server: ChildServer;
  target: Target;
}

const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const names: Name[] = ['node-primary', 'node-replica', 'bun'];

let sqld: SqldPair;
let store: ClusterStore;
let members: Member[];
const secret = randomBytes(32).toString('hex');

function memberEnv(name: Name): Record<string, string> {
  const database: Record<string, string> =
    name === 'node-replica'
      ? { DATABASE_URL: sqld.replica.url, DATABASE_PRIMARY_URL: sqld.primary.url }
      : { DATABASE_URL: sqld.primary.url };
  return {
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    PORT: '0',
    AUTH_SECRET: secret,
    MAX_UPLOAD_BYTES: String(20 * 1024 * 1024),
    BODY_IDLE_SECONDS: '5',
    USAGE_FLUSH_SECONDS: '0',
    ...database,
    ...store.env,
  };
}

async function startMember(name: Name): Promise<Member> {
  const runtime = name === 'bun' ? 'bun' : 'node';
  const env = memberEnv(name);
  const server = await spawnEntry(runtime, env, store.workDir, 60_000);
  return { name, runtime, env, server, target: httpTarget(name, server.origin) };
}

const member = (name: Name) => members.find((m) => m.name === name) as Member;
const target = (name: Name) => member(name).target;
const others = (name: Name) => members.filter((m) => m.name !== name);

beforeAll(async () => {
  sqld = await startSqldPair();
  store = await startClusterStore();
  // One at a time would hide the migration race: all three start at once.
  members = await Promise.all(names.map(startMember));
}, 180_000);

afterAll(async () => {
  await Promise.all((members ?? []).map((m) => m.server.stop()));
  await store?.stop();
  await sqld?.stop();
}, 60_000);

/** The operator, granted by the operator action on the primary (as `npm run operator` would). */
async function operatorOn(t: Target): Promise<TestUser> {
  const credentials = { email: OPERATOR_EMAIL, password: OPERATOR_PASSWORD };
  const reg = await t.fetch('/api/v1/user/register', json(credentials));
  expect([201, 409]).toContain(reg.status);
  const database = await openLibsql({ url: sqld.primary.url });
  try {
    await setOperator({ db: database.db, clock: () => new Date() }, OPERATOR_EMAIL, true);
  } finally {
    database.close();
  }
  const login = await t.fetch('/api/v1/user/login', json(credentials));
  expect(login.status).toBe(200);
  const { token } = (await login.json()) as { token: string };
  const me = (await (await t.fetch('/api/v1/user', { headers: bearer({ token }) })).json()) as { id: number };
  return { id: me.id, email: OPERATOR_EMAIL, password: OPERATOR_PASSWORD, token, cookie: '' };
}

async function fileOn(t: Target, user: Pick<TestUser, 'token'>, id: number, query = '') {
  const res = await t.fetch(`/api/v1/images/${id}/file${query}`, { headers: bearer(user) });
  return { status: res.status, etag: res.headers.get('etag'), bytes: new Uint8Array(await res.arrayBuffer()) };
}

describe('what one server writes, every other serves at once', () => {
  it('accounts and sessions: registered on one, logged in on another, used on the third, logged out everywhere', async () => {
    for (const [a, b, c] of [
      ['node-primary', 'node-replica', 'bun'],
      ['node-replica', 'bun', 'node-primary'],
      ['bun', 'node-primary', 'node-replica'],
    ] as const) {
      const email = uniqueEmail('cluster');
      const password = `pw-${crypto.randomUUID()}`;
      expect((await target(a).fetch('/api/v1/user/register', json({ email, password }))).status).toBe(201);
      expect((await target(c).fetch('/api/v1/user/register', json({ email, password }))).status).toBe(409);
      const login = await target(b).fetch('/api/v1/user/login', json({ email, password }));
      expect(login.status, `login on ${b} after registering on ${a}`).toBe(200);
      const { token } = (await login.json()) as { token: string };
      expect((await target(c).fetch('/api/v1/user', { headers: bearer({ token }) })).status).toBe(200);
      expect(
        (await target(a).fetch('/api/v1/user/logout', { method: 'POST', headers: bearer({ token }) })).status,
      ).toBe(204);
      for (const m of members) {
        expect((await m.target.fetch('/api/v1/user', { headers: bearer({ token }) })).status, m.name).toBe(401);
      }
    }
  });

  it('images, variants, tags, share links and deletes', async () => {
    const user = await newUser(target('node-primary'), 'cluster-images');
    const bytes = await png(40, 30);
    const keysBefore = await store.allKeys();
    const image = await upload(target('node-replica'), user, bytes, { tags: ['sea'] });
    for (const m of members) {
      const got = await fileOn(m.target, user, image.id);
      expect(got.status, m.name).toBe(200);
      expect(sha(got.bytes), m.name).toBe(sha(bytes));
    }

    // A variant made by one server is the stored one the others serve.
    const made = await fileOn(target('bun'), user, image.id, '?width=8&height=8&fit=inside');
    expect(made.status).toBe(200);
    for (const m of others('bun')) {
      const again = await fileOn(m.target, user, image.id, '?width=8&height=8&fit=inside');
      expect(again.status, m.name).toBe(200);
      expect(again.etag, m.name).toBe(made.etag);
      expect(sha(again.bytes), m.name).toBe(sha(made.bytes));
    }

    // Tags written on one server filter the listing on the others.
    const put = await target('node-primary').fetch(
      `/api/v1/images/${image.id}/tags`,
      json({ tags: ['sky', 'night'] }, { method: 'PUT', headers: bearer(user) }),
    );
    expect(put.status).toBe(200);
    for (const m of members) {
      const page = (await (await m.target.fetch('/api/v1/images?tag=night', { headers: bearer(user) })).json()) as {
        items: { id: number }[];
      };
      expect(
        page.items.map((i) => i.id),
        m.name,
      ).toEqual([image.id]);
      const sea = (await (await m.target.fetch('/api/v1/images?tag=sea', { headers: bearer(user) })).json()) as {
        items: unknown[];
      };
      expect(sea.items, m.name).toEqual([]);
    }

    // A share link made on one server opens on every other, and once revoked on none.
    const made2 = await target('bun').fetch(`/api/v1/images/${image.id}/links`, json({}, { headers: bearer(user) }));
    expect(made2.status).toBe(201);
    const link = (await made2.json()) as { id: string; url: string };
    const path = new URL(link.url).pathname;
    for (const m of members) {
      const opened = await m.target.fetch(path);
      expect(opened.status, m.name).toBe(200);
      expect(sha(new Uint8Array(await opened.arrayBuffer())), m.name).toBe(sha(bytes));
    }
    const revoked = await target('node-replica').fetch(`/api/v1/images/${image.id}/links/${link.id}`, {
      method: 'DELETE',
      headers: bearer(user),
    });
    expect(revoked.status).toBe(204);
    for (const m of members) {
      const res = await m.target.fetch(path);
      await res.arrayBuffer();
      expect(res.status, m.name).toBe(404);
    }

    // Deleted on one server: gone from every other at once, bytes and variant included.
    const del = await target('node-replica').fetch(`/api/v1/images/${image.id}`, {
      method: 'DELETE',
      headers: bearer(user),
    });
    expect(del.status).toBe(204);
    for (const m of members) {
      expect((await fileOn(m.target, user, image.id)).status, m.name).toBe(404);
      expect((await fileOn(m.target, user, image.id, '?width=8&height=8&fit=inside')).status, m.name).toBe(404);
    }
    expect(await store.allKeys()).toEqual(keysBefore);
  });

  it('usage: requests on every server are counted once, and every server reports the same totals', async () => {
    const user = await newUser(target('bun'), 'cluster-usage');
    const bytes = await png(12, 12);
    const image = await upload(target('node-primary'), user, bytes);
    await fileOn(target('node-replica'), user, image.id);
    await fileOn(target('bun'), user, image.id);
    for (const m of members)
      expect((await m.target.fetch('/api/v1/images', { headers: bearer(user) })).status).toBe(200);
    const expected = { uploadImage: 1, getImageFile: 2, listImages: 3 };
    const reports: Record<string, unknown>[] = [];
    // Each count is written right after its response: allow the last one that moment.
    for (const m of members) {
      let report: { totals: { requests_by_operation: Record<string, number>; bytes_uploaded: number } } | undefined;
      for (let i = 0; i < 50; i++) {
        const res = await m.target.fetch('/api/v1/user/usage', { headers: bearer(user) });
        report = (await res.json()) as typeof report;
        const ops = report?.totals.requests_by_operation ?? {};
        if (Object.entries(expected).every(([op, n]) => (ops[op] ?? 0) >= n)) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      const ops = report?.totals.requests_by_operation ?? {};
      expect(ops, m.name).toMatchObject(expected);
      expect(report?.totals.bytes_uploaded, m.name).toBe(bytes.length);
      reports.push(Object.fromEntries(Object.keys(expected).map((op) => [op, ops[op]])));
    }
    expect(reports[1]).toEqual(reports[0]);
    expect(reports[2]).toEqual(reports[0]);
  });

  it('login throttling: failures on every server add up, and every server refuses the next attempt', async () => {
    const user = await newUser(target('node-primary'), 'cluster-throttle');
    const address = randomLoopbackAddress();
    const from = (name: Name) => httpTargetFrom(name, member(name).server.origin, address);
    const limit = LOGIN_LIMITS.pair.maxFailures;
    for (let i = 0; i < limit; i++) {
      const name = names[i % names.length] as Name;
      const res = await from(name).fetch('/api/v1/user/login', json({ email: user.email, password: 'wrong-password' }));
      expect(res.status, `failure ${i + 1} on ${name}`).toBe(401);
    }
    for (const name of names) {
      const res = await from(name).fetch('/api/v1/user/login', json({ email: user.email, password: user.password }));
      expect(res.status, `the right password on ${name} after ${limit} failures spread over all`).toBe(429);
    }
  });

  it('quotas are exact under uploads racing across servers', async () => {
    const admin = await operatorOn(target('node-primary'));
    const bytes = await png(9, 9);
    const room = 4;
    const racers = 12;
    const counted = await newUser(target('bun'), 'cluster-quota-images');
    await setQuota(target('node-replica'), admin, counted.id, { max_images: room });
    const sized = await newUser(target('bun'), 'cluster-quota-bytes');
    await setQuota(target('node-primary'), admin, sized.id, { max_bytes: room * bytes.length, max_images: 0 });
    for (const [user, refusal] of [
      [counted, 403],
      [sized, 413],
    ] as const) {
      const answers = await Promise.all(
        Array.from({ length: racers }, (_, i) => uploadRaw(target(names[i % 3] as Name), user, bytes)),
      );
      await Promise.all(answers.map((r) => r.arrayBuffer()));
      const statuses = answers.map((r) => r.status).sort();
      expect(statuses).toEqual([...Array(room).fill(201), ...Array(racers - room).fill(refusal)]);
      for (const m of members) {
        const page = (await (await m.target.fetch('/api/v1/images?limit=100', { headers: bearer(user) })).json()) as {
          items: unknown[];
        };
        expect(page.items, m.name).toHaveLength(room);
      }
    }
  });
});

interface Acked {
  id: number;
  digest: string;
  user: TestUser;
}

/** Uploads `count` images round-robin over `via` with `concurrency` at a time; returns the acknowledged ones. */
async function burst(
  via: () => Target[],
  users: TestUser[],
  count: number,
  concurrency: number,
  onAnswer: (status: number | 'connection', on: string) => void = () => {},
): Promise<Acked[]> {
  const acked: Acked[] = [];
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < count; i = next++) {
      const bytes = await png(5 + (i % 37), 3 + Math.floor(i / 37));
      const user = users[i % users.length] as TestUser;
      const targets = via();
      const t = targets[i % targets.length] as Target;
      try {
        const res = await uploadRaw(t, user, bytes);
        onAnswer(res.status, t.name);
        if (res.status === 201) acked.push({ id: ((await res.json()) as { id: number }).id, digest: sha(bytes), user });
        else await res.arrayBuffer();
      } catch {
        onAnswer('connection', t.name);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return acked;
}

async function expectServedEverywhere(acked: Acked[], on: Member[]) {
  for (const m of on) {
    let served = 0;
    for (const a of acked) {
      const got = await fileOn(m.target, a.user, a.id);
      if (got.status === 200 && sha(got.bytes) === a.digest) served++;
    }
    expect(served, `acknowledged images served byte for byte by ${m.name}`).toBe(acked.length);
  }
}

describe('bursts, housekeeping and a rolling restart', () => {
  let users: TestUser[];
  let acked: Acked[] = [];
  beforeAll(async () => {
    users = await Promise.all([0, 1, 2].map((i) => newUser(target(names[i] as Name), `cluster-burst-${i}`)));
  });

  it('a burst spread over all three loses nothing: every acknowledged byte is served by every server', async () => {
    const statuses: Record<string, number> = {};
    acked = await burst(
      () => members.map((m) => m.target),
      users,
      60,
      9,
      (status) => {
        statuses[status] = (statuses[status] ?? 0) + 1;
      },
    );
    expect(statuses).toEqual({ 201: 60 });
    await expectServedEverywhere(acked, members);
  }, 120_000);

  it('two housekeeping runs at once (one through the replica), every byte old to them, remove only orphans', async () => {
    const orphan = await store.putOrphan();
    // Their clock is past the grace period of every byte stored so far: only rows protect them.
    const later = () => new Date(Date.now() + 2 * 60 * 60 * 1000);
    const runs = await Promise.all(
      [{ url: sqld.primary.url }, { url: sqld.replica.url, primaryUrl: sqld.primary.url }].map(async (options) => {
        const database = await openLibsql(options);
        try {
          return await sweepOrphanBytes({ db: database.db, store: store.imageStore(), clock: later, logger: quiet });
        } finally {
          database.close();
        }
      }),
    );
    expect(runs.reduce((n, r) => n + r.deleted, 0)).toBeGreaterThanOrEqual(1);
    expect(await store.exists(orphan)).toBe(false);
    await expectServedEverywhere(acked, members);
  }, 120_000);

  it('one server stopped with SIGTERM mid-burst finishes or cleanly refuses its requests; restarted, it serves all', async () => {
    const answers: Record<string, Record<string, number>> = {};
    let stopping: Promise<unknown> | undefined;
    let sent = 0;
    let late: Promise<Acked[]> | undefined;
    const lateAnswers: (number | 'connection')[] = [];
    const stopped = member('node-replica');
    const during = await burst(
      // The load balancer stops sending to a server once it is stopping.
      () => (stopping ? members.filter((m) => m !== stopped) : members).map((m) => m.target),
      users,
      45,
      9,
      (status, on) => {
        answers[on] ??= {};
        const tally = answers[on] as Record<string, number>;
        tally[status] = (tally[status] ?? 0) + 1;
        if (++sent === 9) {
          stopping = stopped.server.stop();
          // A load balancer that has not noticed yet still sends it a few.
          late = burst(
            () => [stopped.target],
            users,
            3,
            3,
            (lateStatus) => {
              lateAnswers.push(lateStatus);
            },
          );
        }
      },
    );
    const lateAcked = await late;
    during.push(...(lateAcked ?? []));
    // Sent after SIGTERM: stored and acknowledged, or refused cleanly (503, or no connection).
    expect(lateAnswers).toHaveLength(3);
    for (const status of lateAnswers) expect([201, 503, 'connection']).toContain(status);
    const exit = await stopping;
    console.info('SIGTERM mid-burst, answers by server:', JSON.stringify(answers), 'sent after SIGTERM:', lateAnswers);
    expect(exit).toMatchObject({ code: 0 });
    // On the stopped server: each request answered 201, or refused cleanly (503, or a connection
    // refused before a byte was accepted); nothing else.
    for (const status of Object.keys(answers['node-replica'] ?? {})) {
      expect(['201', '503', 'connection']).toContain(status);
    }
    for (const m of members.filter((m) => m !== stopped)) {
      expect(Object.keys(answers[m.name] ?? {}), m.name).toEqual(['201']);
    }
    const survivors = members.filter((m) => m !== stopped);
    await expectServedEverywhere([...acked, ...during], survivors);

    // Every stored image row has its bytes: nothing half-written by the stopped server.
    for (const user of users) {
      const page = (await (
        await target('bun').fetch('/api/v1/images?limit=200', { headers: bearer(user) })
      ).json()) as {
        items: { id: number }[];
      };
      for (const item of page.items) expect((await fileOn(target('bun'), user, item.id)).status).toBe(200);
    }

    // The rolling restart: the same server back, serving everything.
    const restarted = await startMember('node-replica');
    members = members.map((m) => (m === stopped ? restarted : m));
    await expectServedEverywhere([...acked, ...during], [restarted]);
  }, 180_000);
});

const quiet = { info: () => {}, warn: () => {}, error: (m: string, f?: unknown) => console.error(m, f) };
