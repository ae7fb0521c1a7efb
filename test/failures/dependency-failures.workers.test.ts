import { env } from 'cloudflare:workers';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { type Db, d1Database } from '../../src/db/client';
import { images } from '../../src/db/schema';
import { sweepOrphanBytes } from '../../src/services/housekeeping';
import type { ImageStore } from '../../src/storage/image-store';
import { bearer, newUser, problem } from '../support/client';
import { png } from '../support/images';
import { upload, uploadRaw } from '../support/upload';
import { appHarness } from '../support/workers/app-harness';
import { aroundStatements } from '../support/workers/counting-d1';
import { addedKeys, storedKeys } from '../support/workers/stored-keys';

/**
 * Faults in the stores the streaming upload depends on: the byte store failing or hanging
 * midway through a write, the database failing or timing out on the batch. The client gets a
 * 503 problem with Retry-After, nothing half-written is visible, and a retry succeeds.
 */

type Mode = 'ok' | 'fail' | 'hang' | 'fail-midway';

/** A store whose put (and get) misbehave as `mode.put` / `mode.get` say at the time of the call. */
function faultyStore(store: ImageStore, mode: { put: Mode; get: Mode }): ImageStore {
  const never = () => new Promise<never>(() => {});
  return {
    ...store,
    async put(key, body, options) {
      if (mode.put === 'fail') throw new Error('injected put failure');
      if (mode.put === 'hang') return never();
      if (mode.put === 'fail-midway') {
        // Reads part of the body as a real upload would, then the connection to the store breaks.
        const reader = (body instanceof Blob ? body.stream() : body).getReader();
        await reader.read();
        await reader.cancel();
        throw new Error('injected failure midway through the write');
      }
      return store.put(key, body, options);
    },
    async get(key, range) {
      if (mode.get === 'fail') throw new Error('injected get failure');
      if (mode.get === 'hang') return never();
      return store.get(key, range);
    },
  };
}

/**
 * A database whose batch misbehaves as `mode.batch` says at the time of the call, after letting
 * `mode.spare` more batches through (an upload's session and quota check is one statement, not
 * a batch, so its first batch is the one that writes its rows).
 */
function faultyDb(db: Db, mode: { batch: 'ok' | 'busy' | 'hang'; spare?: number }): Db {
  return new Proxy(db, {
    get(target, prop, receiver) {
      if (prop === 'batch' && mode.batch !== 'ok' && (mode.spare ?? 0) > 0) {
        mode.spare = (mode.spare ?? 0) - 1;
        return Reflect.get(target, prop, receiver);
      }
      if (prop === 'batch' && mode.batch === 'busy') {
        return () => Promise.reject(new Error('SQLITE_BUSY: database is locked'));
      }
      if (prop === 'batch' && mode.batch === 'hang') return () => new Promise(() => {});
      return Reflect.get(target, prop, receiver);
    },
  });
}

/**
 * A D1 binding whose statements run outside a batch (the prepared one-statement reads: the list,
 * an image) never answer while `mode.silent`.
 */
function silentStatements(db: D1Database, mode: { silent: boolean }): D1Database {
  return aroundStatements(db, (run) => (mode.silent ? new Promise(() => {}) : run()));
}

const TIMEOUTS = { DB_TIMEOUT_MS: '300', STORE_TIMEOUT_MS: '300' };

async function expect503(res: Response) {
  expect(res.status).toBe(503);
  expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
  const body = await problem(res);
  expect(body.status).toBe(503);
  expect(body.detail).not.toMatch(/injected|SQLITE/);
}

describe('the byte store failing or hanging during an upload', () => {
  it.each<Mode>(['fail', 'fail-midway', 'hang'])('put %s → 503, nothing visible, and a retry succeeds', async (put) => {
    const mode = { put: 'ok' as Mode, get: 'ok' as Mode };
    const h = appHarness((d) => ({ store: faultyStore(d.store, mode) }), { vars: TIMEOUTS });
    const user = await newUser(h.target);
    const bytes = await png(6, 6);
    const before = await storedKeys();
    mode.put = put;
    const started = Date.now();
    await expect503(await uploadRaw(h.target, user, bytes, { tags: ['t'] }));
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(await h.base.db.select().from(images).where(eq(images.ownerId, user.id))).toEqual([]);
    expect(addedKeys(before, await storedKeys())).toEqual([]);
    const list = await h.target.fetch('/api/v1/images', { headers: bearer(user) });
    expect(((await list.json()) as { items: unknown[] }).items).toEqual([]);

    mode.put = 'ok';
    const created = await upload(h.target, user, bytes, { tags: ['t'] });
    const file = await h.target.fetch(`/api/v1/images/${created.id}/file`, { headers: bearer(user) });
    expect(new Uint8Array(await file.arrayBuffer())).toEqual(bytes);
  });

  it.each<Mode>(['fail', 'hang'])('get %s while fetching bytes → 503, and a retry serves them', async (get) => {
    const mode = { put: 'ok' as Mode, get: 'ok' as Mode };
    const h = appHarness((d) => ({ store: faultyStore(d.store, mode) }), { vars: TIMEOUTS });
    const user = await newUser(h.target);
    const bytes = await png(3, 4);
    const created = await upload(h.target, user, bytes);
    mode.get = get;
    await expect503(await h.target.fetch(`/api/v1/images/${created.id}/file`, { headers: bearer(user) }));
    await expect503(await h.target.fetch(`/api/image/${created.id}`, { headers: bearer(user) }));
    mode.get = 'ok';
    const file = await h.target.fetch(`/api/v1/images/${created.id}/file`, { headers: bearer(user) });
    expect(new Uint8Array(await file.arrayBuffer())).toEqual(bytes);
  });
});

describe('the database failing or timing out on the batch', () => {
  it('a transient failure (SQLITE_BUSY) → 503; the bytes are removed; a retry succeeds', async () => {
    const mode: { batch: 'ok' | 'busy' | 'hang'; spare?: number } = { batch: 'ok' };
    const h = appHarness((d) => ({ db: faultyDb(d.db, mode) }), { vars: TIMEOUTS });
    const user = await newUser(h.target);
    const before = await storedKeys();
    Object.assign(mode, { batch: 'busy', spare: 0 });
    await expect503(await uploadRaw(h.target, user, await png(2, 3)));
    mode.batch = 'ok';
    expect(addedKeys(before, await storedKeys())).toEqual([]);
    expect(await h.base.db.select().from(images).where(eq(images.ownerId, user.id))).toEqual([]);
    expect((await uploadRaw(h.target, user, await png(2, 3))).status).toBe(201);
  });

  it('a batch that does not answer → 503; no row is visible; its bytes are left for housekeeping; a retry succeeds', async () => {
    const mode: { batch: 'ok' | 'busy' | 'hang'; spare?: number } = { batch: 'ok' };
    const h = appHarness((d) => ({ db: faultyDb(d.db, mode) }), { vars: TIMEOUTS });
    const user = await newUser(h.target);
    const before = await storedKeys();
    // The session and quota check answers; the batch that writes the rows never does.
    Object.assign(mode, { batch: 'hang', spare: 0 });
    await expect503(await uploadRaw(h.target, user, await png(4, 2)));
    // A read in a batch (tag counts) times out the same way rather than hang; one-statement
    // reads such as the list: below.
    await expect503(await h.target.fetch('/api/v1/tags', { headers: bearer(user) }));
    mode.batch = 'ok';
    expect(await h.base.db.select().from(images).where(eq(images.ownerId, user.id))).toEqual([]);
    // The timed-out batch might still have committed, so its bytes stay until housekeeping
    // finds no row for them.
    const left = addedKeys(before, await storedKeys());
    expect(left).toHaveLength(1);
    h.advance(2 * 60 * 60 * 1000);
    await sweepOrphanBytes(h.base);
    expect((await storedKeys()).has(left[0] ?? '')).toBe(false);

    const created = await upload(h.target, user, await png(4, 2));
    const list = await h.target.fetch('/api/v1/images', { headers: bearer(user) });
    expect(((await list.json()) as { items: { id: number }[] }).items.map((i) => i.id)).toEqual([created.id]);
  });
});

describe('the database not answering a one-statement read', () => {
  it('the list (v1 and legacy) → 503 rather than hanging; a retry succeeds', async () => {
    const mode = { silent: false };
    const h = appHarness(() => ({ db: d1Database(silentStatements(env.DB, mode)) }), { vars: TIMEOUTS });
    const user = await newUser(h.target);
    mode.silent = true;
    const started = Date.now();
    await expect503(await h.target.fetch('/api/v1/images?tag=a', { headers: bearer(user) }));
    // The legacy list reads its first page before the status is sent.
    await expect503(await h.target.fetch('/api/images', { headers: bearer(user) }));
    expect(Date.now() - started).toBeLessThan(10_000);
    mode.silent = false;
    const list = await h.target.fetch('/api/v1/images', { headers: bearer(user) });
    expect(list.status).toBe(200);
    expect(((await list.json()) as { items: unknown[] }).items).toEqual([]);
  });
});
