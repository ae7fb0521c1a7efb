import { env } from 'cloudflare:workers';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { images, imageTags } from '../../src/db/schema';
import { sweepOrphanBytes } from '../../src/services/housekeeping';
import type { ImageStore } from '../../src/storage/image-store';
import { bearer, newUser, problem } from '../support/client';
import { png } from '../support/images';
import { upload, uploadRaw } from '../support/upload';
import { appHarness } from '../support/workers/app-harness';
import { addedKeys, storedKeys } from '../support/workers/stored-keys';

/** A store that fails on the operations named, and otherwise is R2. */
function failing(store: ImageStore, ops: Partial<Record<'put' | 'delete' | 'get', boolean>>): ImageStore {
  const boom = (op: string) => Promise.reject(new Error(`injected ${op} failure`));
  return {
    ...store,
    put: (...a) => (ops.put ? boom('put') : store.put(...a)),
    delete: (...a) => (ops.delete ? boom('delete') : store.delete(...a)),
    get: (...a) => (ops.get ? boom('get') : store.get(...a)),
  };
}

/** A database whose `batch` (every multi-statement write) fails while `fail.on` is true. */
function failingBatch<T extends object>(db: T, fail: { on: boolean }): T {
  return new Proxy(db, {
    get(target, prop, receiver) {
      if (prop === 'batch' && fail.on) return () => Promise.reject(new Error('injected batch failure'));
      return Reflect.get(target, prop, receiver);
    },
  });
}

describe('upload: bytes first, then rows', () => {
  it('removes the stored bytes when the rows cannot be written', async () => {
    const fail = { on: false };
    const h = appHarness((d) => ({ db: failingBatch(d.db, fail) }));
    const user = await newUser(h.target);
    const before = await storedKeys();
    fail.on = true;
    const res = await uploadRaw(h.target, user, await png(4, 4), { tags: ['kept?'] });
    fail.on = false;
    expect(res.status).toBe(500);
    expect((await problem(res)).detail).not.toMatch(/injected/);
    expect(addedKeys(before, await storedKeys())).toEqual([]);
    const rows = await h.base.db.select().from(images).where(eq(images.ownerId, user.id));
    expect(rows).toEqual([]);
    expect(h.logs.some((l) => l.level === 'error' && String(l.fields?.error).includes('injected batch'))).toBe(true);
  });

  it('writes no row when the bytes cannot be stored (503: the store may work on a retry)', async () => {
    const h = appHarness((d) => ({ store: failing(d.store, { put: true }) }));
    const user = await newUser(h.target);
    const res = await uploadRaw(h.target, user, await png(2, 2));
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(await h.base.db.select().from(images).where(eq(images.ownerId, user.id))).toEqual([]);
  });

  it('a 201 means both are stored: row, tags and identical bytes', async () => {
    const h = appHarness();
    const user = await newUser(h.target);
    const bytes = await png(5, 3);
    const before = await storedKeys();
    const created = await upload(h.target, user, bytes, { tags: ['a', 'b'] });
    const [row] = await h.base.db.select().from(images).where(eq(images.id, created.id));
    expect(row?.storageKey).toBeDefined();
    expect(addedKeys(before, await storedKeys())).toEqual([row?.storageKey]);
    const object = await env.IMAGES.get(row?.storageKey ?? '');
    expect(new Uint8Array(await (object as R2ObjectBody).arrayBuffer())).toEqual(bytes);
    expect(await h.base.db.select().from(imageTags).where(eq(imageTags.imageId, created.id))).toHaveLength(2);
  });
});

describe('delete: rows first, then bytes', () => {
  it('keeps image and bytes when the rows cannot be deleted', async () => {
    const fail = { on: false };
    const h = appHarness((d) => ({ db: failingBatch(d.db, fail) }));
    const user = await newUser(h.target);
    const created = await upload(h.target, user, await png(3, 3), { tags: ['x'] });
    fail.on = true;
    const res = await h.target.fetch(`/api/v1/images/${created.id}`, { method: 'DELETE', headers: bearer(user) });
    fail.on = false;
    expect(res.status).toBe(500);
    const file = await h.target.fetch(`/api/v1/images/${created.id}/file`, { headers: bearer(user) });
    expect(file.status).toBe(200);
    expect(await file.arrayBuffer()).toHaveProperty('byteLength', created.size);
  });

  it('answers deleted when only the bytes fail to go, and housekeeping sweeps them later', async () => {
    const h = appHarness((d) => ({ store: failing(d.store, { delete: true }) }));
    const user = await newUser(h.target);
    const created = await upload(h.target, user, await png(3, 3));
    const [row] = await h.base.db.select().from(images).where(eq(images.id, created.id));
    const key = row?.storageKey ?? '';
    const res = await h.target.fetch(`/api/v1/images/${created.id}`, { method: 'DELETE', headers: bearer(user) });
    expect(res.status).toBe(204);
    expect((await h.target.fetch(`/api/v1/images/${created.id}`, { headers: bearer(user) })).status).toBe(404);
    expect(await h.base.db.select().from(imageTags).where(eq(imageTags.imageId, created.id))).toEqual([]);
    expect(h.logs.some((l) => l.level === 'warn' && l.message.includes('could not delete'))).toBe(true);
    expect((await storedKeys()).has(key)).toBe(true);

    // Not yet: an upload may still be writing its rows within the grace period.
    expect((await sweepOrphanBytes(h.base)).deleted).toBe(0);
    h.advance(2 * 60 * 60 * 1000);
    const swept = await sweepOrphanBytes(h.base);
    expect(swept.deleted).toBeGreaterThanOrEqual(1);
    expect((await storedKeys()).has(key)).toBe(false);
  });

  it('housekeeping never removes bytes a row points at', async () => {
    const h = appHarness();
    const user = await newUser(h.target);
    const created = await upload(h.target, user, await png(2, 5));
    h.advance(2 * 60 * 60 * 1000);
    await sweepOrphanBytes(h.base);
    const file = await h.target.fetch(`/api/v1/images/${created.id}/file`, { headers: bearer(user) });
    expect(file.status).toBe(200);
    expect(new Uint8Array(await file.arrayBuffer())).toEqual(await png(2, 5));
  });
});

describe('a row never points at missing bytes', () => {
  it('says so with a 500 rather than an empty image if it ever does', async () => {
    const h = appHarness();
    const user = await newUser(h.target);
    const created = await upload(h.target, user, await png(2, 2));
    const [row] = await h.base.db.select().from(images).where(eq(images.id, created.id));
    await env.IMAGES.delete(row?.storageKey ?? '');
    const res = await h.target.fetch(`/api/v1/images/${created.id}/file`, { headers: bearer(user) });
    expect(res.status).toBe(500);
    expect(h.logs.some((l) => l.message.includes('missing bytes'))).toBe(true);
  });
});
