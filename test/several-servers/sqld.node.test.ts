/**
 * A shared libsql server (sqld, primary plus replica) as the Node and Bun servers' database:
 * migrations when several servers start at once, batches, unique violations through the
 * replica, and reads through the replica that see every acknowledged write.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createClient } from '@libsql/client';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS_FOLDER, openLibsql } from '../../src/db/libsql';
import { applyMigrations } from '../../src/db/migrate';
import { users } from '../../src/db/schema';
import { replicaFetch } from '../../src/db/sqld-replica';
import { loadSettings, SettingsError } from '../../src/runtime/settings';
import { json, problem, uniqueEmail } from '../support/client';
import { dataDir, httpTarget, serverEnv, startInProcess } from '../support/node/servers';
import { type SqldPair, startSqldPair } from '../support/node/sqld';
import type { Target } from '../support/target';

const journal = JSON.parse(readFileSync(join(MIGRATIONS_FOLDER, 'meta/_journal.json'), 'utf8')) as {
  entries: unknown[];
};

let sqld: SqldPair;
beforeAll(async () => {
  sqld = await startSqldPair();
});
afterAll(() => sqld?.stop());

const migrationRows = async (url: string) => {
  const client = createClient({ url });
  try {
    const rs = await client.execute('SELECT created_at, count(*) AS n FROM __drizzle_migrations GROUP BY created_at');
    return rs.rows.map((r) => Number(r.n));
  } finally {
    client.close();
  }
};

describe('migrations on a shared sqld', () => {
  it('three servers starting at once (one through the replica) apply each migration exactly once, none fails', async () => {
    // A fresh namespace-free database per test is not possible on one sqld: this runs first.
    const opened = await Promise.all([
      openLibsql({ url: sqld.primary.url }),
      openLibsql({ url: sqld.primary.url }),
      openLibsql({ url: sqld.replica.url, primaryUrl: sqld.primary.url }),
    ]);
    try {
      const rows = await migrationRows(sqld.primary.url);
      expect(rows).toHaveLength(journal.entries.length);
      expect(rows.every((n) => n === 1)).toBe(true);
      // Every one of them sees the schema.
      for (const database of opened) expect(await database.db.select().from(users).limit(1)).toEqual([]);
    } finally {
      for (const database of opened) database.close();
    }
  });

  it('of racing migrators, the migrations are applied by exactly one (the others find nothing left)', async () => {
    const pair = await startSqldPair();
    const clients = [pair.primary.url, pair.primary.url, pair.primary.url].map((url) => createClient({ url }));
    clients.push(
      createClient({
        url: pair.replica.url,
        fetch: replicaFetch({ primaryUrl: pair.primary.url }),
      }),
    );
    try {
      const applied = await Promise.all(clients.map((c) => applyMigrations(c, MIGRATIONS_FOLDER)));
      expect(applied.reduce((a, b) => a + b, 0)).toBe(journal.entries.length);
      expect(applied.filter((n) => n > 0)).toHaveLength(1);
      const rows = await migrationRows(pair.primary.url);
      expect(rows).toHaveLength(journal.entries.length);
      expect(rows.every((n) => n === 1)).toBe(true);
    } finally {
      for (const c of clients) c.close();
      await pair.stop();
    }
  });
});

describe('the database through the replica', () => {
  it('batch() is all-or-nothing through the replica, as on the primary', async () => {
    const database = await openLibsql({ url: sqld.replica.url, primaryUrl: sqld.primary.url });
    try {
      const { db } = database;
      const taken = uniqueEmail('taken');
      await db.insert(users).values({ email: taken, passwordHash: 'x' });
      const fresh = uniqueEmail('fresh');
      await expect(
        db.batch([
          db.insert(users).values({ email: fresh, passwordHash: 'x' }),
          db.insert(users).values({ email: taken, passwordHash: 'y' }),
        ]),
      ).rejects.toThrow(/UNIQUE constraint failed/);
      expect(await db.select().from(users).where(eq(users.email, fresh))).toEqual([]);
    } finally {
      database.close();
    }
  });
});

describe('app servers on a primary and on its replica', () => {
  let servers: { name: string; target: Target; shutdown(): Promise<void>; remove(): Promise<void> }[];
  beforeAll(async () => {
    const secret = serverEnv('/unused').AUTH_SECRET as string;
    servers = [];
    for (const [name, extra] of [
      ['primary', { DATABASE_URL: sqld.primary.url }],
      ['replica', { DATABASE_URL: sqld.replica.url, DATABASE_PRIMARY_URL: sqld.primary.url }],
    ] as const) {
      const data = await dataDir();
      const server = await startInProcess({ ...data.env, ...extra, AUTH_SECRET: secret });
      servers.push({
        name,
        target: httpTarget(name, server.origin),
        shutdown: () => server.shutdown('tests done'),
        remove: data.remove,
      });
    }
  });
  afterAll(async () => {
    for (const s of servers ?? []) {
      await s.shutdown();
      await s.remove();
    }
  });
  const server = (name: string) => servers.find((s) => s.name === name)?.target as Target;

  it('registering a taken email is the same 409 problem through the replica as through the primary', async () => {
    const answers: Record<string, unknown>[] = [];
    for (const name of ['primary', 'replica']) {
      const email = uniqueEmail(name);
      const first = await server(name).fetch('/api/v1/user/register', json({ email, password: 'pw-long-enough-1' }));
      expect(first.status).toBe(201);
      const again = await server(name).fetch('/api/v1/user/register', json({ email, password: 'pw-long-enough-2' }));
      expect(again.status).toBe(409);
      const { request_id: _, ...body } = (await problem(again)) as Record<string, unknown>;
      answers.push(body);
    }
    expect(answers[1]).toEqual(answers[0]);
  });

  it('what one server writes, the replica server reads at once: register, log in, log out (many at a time)', async () => {
    const routes = [
      ['replica', 'replica'],
      ['primary', 'replica'],
      ['replica', 'primary'],
    ] as const;
    const flow = async ([writer, reader]: (typeof routes)[number]) => {
      const email = uniqueEmail(`${writer}-${reader}`);
      const password = `pw-${crypto.randomUUID()}`;
      const reg = await server(writer).fetch('/api/v1/user/register', json({ email, password }));
      expect(reg.status).toBe(201);
      const login = await server(reader).fetch('/api/v1/user/login', json({ email, password }));
      expect(login.status, `login through ${reader} right after registering through ${writer}`).toBe(200);
      const { token } = (await login.json()) as { token: string };
      const auth = { authorization: `Bearer ${token}` };
      const out = await server(writer).fetch('/api/v1/user/logout', { method: 'POST', headers: auth });
      expect(out.status).toBe(204);
      // A token logged out through one server is refused by the other at once.
      const after = await server(reader).fetch('/api/v1/user', { headers: auth });
      expect(after.status, `token used through ${reader} right after logout through ${writer}`).toBe(401);
      return 1;
    };
    let done = 0;
    for (let round = 0; round < 4; round++) {
      const flows = await Promise.all(Array.from({ length: 12 }, (_, i) => flow(routes[i % routes.length] as never)));
      done += flows.length;
    }
    expect(done).toBe(48);
  });
});

describe('replicaFetch (the client side of current reads through a replica)', () => {
  /** A primary whose index probes answer only when released, and a replica that records what it got. */
  function fakes() {
    const probes: { release(index: number): void }[] = [];
    const sent: { url: string; body: unknown }[] = [];
    const fetch = async (request: Request): Promise<Response> => {
      if (request.url.startsWith('http://primary/')) {
        return new Promise((resolve) => {
          probes.push({
            release: (index) =>
              resolve(
                Response.json({
                  results: [
                    { type: 'ok', response: { type: 'execute', result: { replication_index: String(index) } } },
                  ],
                }),
              ),
          });
        });
      }
      sent.push({ url: request.url, body: await request.json() });
      return Response.json({ results: [] });
    };
    return { probes, sent, fetch: replicaFetch({ primaryUrl: 'http://primary', fetch }) };
  }
  const pipeline = (sql: string) =>
    new Request('http://replica/v2/pipeline', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        requests: [
          { type: 'execute', stmt: { sql } },
          { type: 'batch', batch: { steps: [{ stmt: { sql } }] } },
          { type: 'close' },
        ],
      }),
    });
  const tick = () => new Promise((r) => setTimeout(r, 10));

  it('keeps the client on JSON, and sends every statement and batch with the index the primary had', async () => {
    const { probes, sent, fetch } = fakes();
    expect((await fetch(new Request('http://replica/v3-protobuf', { method: 'GET' }))).status).toBe(404);
    const answer = fetch(pipeline('SELECT 1'));
    await tick();
    probes[0]?.release(41);
    await answer;
    expect(sent[0]?.body).toMatchObject({
      requests: [
        { type: 'execute', stmt: { replication_index: 41 } },
        { type: 'batch', batch: { replication_index: 41 } },
        { type: 'close' },
      ],
    });
  });

  it('a read that arrives while a probe is out waits for the next probe, shared with the others that arrived', async () => {
    const { probes, sent, fetch } = fakes();
    const first = fetch(pipeline('SELECT "first"'));
    await tick();
    const later = [fetch(pipeline('SELECT "second"')), fetch(pipeline('SELECT "third"'))];
    await tick();
    expect(probes).toHaveLength(1);
    probes[0]?.release(7);
    await first;
    await tick();
    // The probe that was out may predate the later reads' writes: they get a new one, together.
    expect(probes).toHaveLength(2);
    probes[1]?.release(9);
    await Promise.all(later);
    const indexOf = (i: number) =>
      (sent[i]?.body as { requests: { stmt?: { replication_index?: number } }[] } | undefined)?.requests[0]?.stmt
        ?.replication_index;
    expect([indexOf(0), indexOf(1), indexOf(2)]).toEqual([7, 9, 9]);
  });
});

describe('DATABASE_PRIMARY_URL', () => {
  const base = { AUTH_SECRET: 'x'.repeat(64) };
  it('goes with a replica URL, and must be an http(s) URL', () => {
    expect(
      loadSettings({ ...base, DATABASE_URL: 'http://replica:8080', DATABASE_PRIMARY_URL: 'http://primary:8080' })
        .databasePrimaryUrl,
    ).toBe('http://primary:8080');
    expect(() => loadSettings({ ...base, DATABASE_PRIMARY_URL: 'http://primary:8080' })).toThrow(SettingsError);
    expect(() =>
      loadSettings({ ...base, DATABASE_URL: 'http://replica:8080', DATABASE_PRIMARY_URL: 'primary:8080' }),
    ).toThrow(/DATABASE_PRIMARY_URL/);
  });
});
