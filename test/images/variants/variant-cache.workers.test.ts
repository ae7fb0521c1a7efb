import { env } from 'cloudflare:workers';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { images, imageVariants } from '../../../src/db/schema';
import { sweepOrphanBytes } from '../../../src/services/housekeeping';
import { variantPrefix } from '../../../src/services/variants/identity';
import type { ImageStore } from '../../../src/storage/image-store';
import { type ImageTransformer, UntransformableImage } from '../../../src/transform/transformer';
import { bearer, newUser, problem, type TestUser } from '../../support/client';
import { bytesOf } from '../../support/image-api';
import { png } from '../../support/images';
import type { Target } from '../../support/target';
import { upload } from '../../support/upload';
import { appHarness } from '../../support/workers/app-harness';

/** The transformer and store of the harness, with every call counted. */
function counting() {
  const calls = { transform: 0, get: 0, put: 0, list: 0, delete: 0 };
  const harness = appHarness((d) => ({
    transformer: {
      ...d.transformer,
      transform: (input, plan) => {
        calls.transform++;
        return d.transformer.transform(input, plan);
      },
    } satisfies ImageTransformer,
    store: {
      ...d.store,
      get: (...a) => {
        calls.get++;
        return d.store.get(...a);
      },
      put: (...a) => {
        calls.put++;
        return d.store.put(...a);
      },
      list: (...a) => {
        calls.list++;
        return d.store.list(...a);
      },
      delete: (...a) => {
        calls.delete++;
        return d.store.delete(...a);
      },
    } satisfies ImageStore,
  }));
  const reset = () => {
    for (const k of Object.keys(calls) as (keyof typeof calls)[]) calls[k] = 0;
  };
  return { ...harness, calls, reset };
}

async function storageKeyOf(id: number): Promise<string> {
  const [row] = await appHarness().base.db.select().from(images).where(eq(images.id, id));
  if (!row) throw new Error(`no image ${id}`);
  return row.storageKey;
}

async function keysUnder(prefix: string): Promise<string[]> {
  return (await env.IMAGES.list({ prefix })).objects.map((o) => o.key);
}

const fetchVariant = (target: Target, user: TestUser, id: number, query: string, headers = {}) =>
  target.fetch(`/api/v1/images/${id}/file?${query}`, { headers: bearer(user, headers) });

describe('variant cache in the byte store', () => {
  it('makes a variant once: the second request is one store read and no transform; a 304 touches neither', async () => {
    const h = counting();
    const user = await newUser(h.target);
    const created = await upload(h.target, user, await png(40, 30));
    const prefix = variantPrefix(await storageKeyOf(created.id));
    h.reset();

    const first = await fetchVariant(h.target, user, created.id, 'width=20&format=webp');
    expect(first.status).toBe(200);
    const firstBytes = await bytesOf(first);
    expect(h.calls).toMatchObject({ transform: 1, put: 1 });
    const stored = await keysUnder(prefix);
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatch(/^variants\/images\/[0-9a-f-]{36}\/[0-9a-f]{64}\.webp$/);

    h.reset();
    const second = await fetchVariant(h.target, user, created.id, 'width=20&format=webp');
    expect(second.status).toBe(200);
    expect(await bytesOf(second)).toEqual(firstBytes);
    expect(second.headers.get('etag')).toBe(first.headers.get('etag'));
    expect(h.calls).toEqual({ transform: 0, get: 1, put: 0, list: 0, delete: 0 });

    h.reset();
    const etag = first.headers.get('etag') ?? '';
    expect(
      (await fetchVariant(h.target, user, created.id, 'width=20&format=webp', { 'if-none-match': etag })).status,
    ).toBe(304);
    expect(h.calls).toEqual({ transform: 0, get: 0, put: 0, list: 0, delete: 0 });
  });

  it('two racing first requests both answer the same bytes and leave one stored variant', async () => {
    const h = counting();
    const user = await newUser(h.target);
    const created = await upload(h.target, user, await png(50, 50));
    const [a, b] = await Promise.all([
      fetchVariant(h.target, user, created.id, 'width=25&format=png'),
      fetchVariant(h.target, user, created.id, 'width=25&format=png'),
    ]);
    expect([a.status, b.status]).toEqual([200, 200]);
    const [bytesA, bytesB] = [await bytesOf(a), await bytesOf(b)];
    expect(bytesA).toEqual(bytesB);
    const stored = await keysUnder(variantPrefix(await storageKeyOf(created.id)));
    expect(stored).toHaveLength(1);
    const object = await env.IMAGES.get(stored[0] ?? '');
    expect(new Uint8Array(await (object as R2ObjectBody).arrayBuffer())).toEqual(bytesA);
  });

  it('deleting an image deletes its variants', async () => {
    const h = counting();
    const user = await newUser(h.target);
    const created = await upload(h.target, user, await png(30, 30));
    const key = await storageKeyOf(created.id);
    for (const q of ['width=10', 'width=12&format=webp', 'format=jpeg']) {
      expect((await fetchVariant(h.target, user, created.id, q)).status).toBe(200);
    }
    expect(await keysUnder(variantPrefix(key))).toHaveLength(3);
    const res = await h.target.fetch(`/api/v1/images/${created.id}`, { method: 'DELETE', headers: bearer(user) });
    expect(res.status).toBe(204);
    expect(await keysUnder(variantPrefix(key))).toEqual([]);
    expect(await env.IMAGES.head(key)).toBeNull();
  });

  it('housekeeping sweeps variants whose image row is gone, and keeps those of live images', async () => {
    const h = appHarness();
    const user = await newUser(h.target);
    const live = await upload(h.target, user, await png(20, 20));
    const doomed = await upload(h.target, user, await png(21, 21));
    for (const img of [live, doomed]) expect((await fetchVariant(h.target, user, img.id, 'width=5')).status).toBe(200);
    const [liveKey, doomedKey] = [await storageKeyOf(live.id), await storageKeyOf(doomed.id)];
    // The row goes without its bytes, as when a delete's byte removal failed.
    await h.base.db.delete(images).where(eq(images.id, doomed.id));
    h.advance(2 * 60 * 60 * 1000);
    await sweepOrphanBytes(h.base);
    expect(await keysUnder(variantPrefix(doomedKey))).toEqual([]);
    expect(await env.IMAGES.head(doomedKey)).toBeNull();
    expect(await keysUnder(variantPrefix(liveKey))).toHaveLength(1);
    expect(await env.IMAGES.head(liveKey)).not.toBeNull();
  });

  it('serves a variant it could not store, and says so in the log', async () => {
    const h = appHarness((d) => ({
      store: {
        ...d.store,
        put: (key, ...rest) =>
          key.startsWith('variants/') ? Promise.reject(new Error('full')) : d.store.put(key, ...rest),
      },
    }));
    const user = await newUser(h.target);
    const created = await upload(h.target, user, await png(20, 20));
    const res = await fetchVariant(h.target, user, created.id, 'width=10');
    expect(res.status).toBe(200);
    expect((await bytesOf(res)).length).toBeGreaterThan(0);
    expect(h.logs.some((l) => l.level === 'warn' && l.message === 'could not store a variant')).toBe(true);
  });

  it('answers 422 when the engine cannot read the image, remembers it, and a generic 500 when the engine fails otherwise', async () => {
    let failure: Error = new UntransformableImage('bad bytes');
    let calls = 0;
    // The engine fails once armed: the uploads' own render (the thumbhash) goes through it first.
    let armed = false;
    const h = appHarness((d) => ({
      transformer: {
        ...d.transformer,
        transform: (input, plan) => {
          if (!armed) return d.transformer.transform(input, plan);
          calls++;
          return Promise.reject(failure);
        },
      },
    }));
    const user = await newUser(h.target);
    const created = await upload(h.target, user, await png(20, 20));
    armed = true;
    const res = await fetchVariant(h.target, user, created.id, 'width=10');
    expect(res.status).toBe(422);
    expect((await problem(res)).detail).toMatch(/cannot be decoded/);
    expect((await h.target.fetch(`/api/v1/images/${created.id}/file`, { headers: bearer(user) })).status).toBe(200);
    // Remembered: another size is refused without reading the bytes again, and nothing stays reserved.
    const again = await fetchVariant(h.target, user, created.id, 'width=11');
    expect(again.status).toBe(422);
    expect(calls).toBe(1);
    expect(await h.base.db.select().from(imageVariants).where(eq(imageVariants.imageId, created.id))).toEqual([]);

    failure = new Error('Images service unavailable');
    armed = false;
    const other = await upload(h.target, user, await png(20, 20));
    armed = true;
    const crashed = await fetchVariant(h.target, user, other.id, 'width=10');
    expect(crashed.status).toBe(500);
    expect((await problem(crashed)).detail).not.toMatch(/unavailable/);
  });

  it('a variant finished after its image was deleted is removed at once, and the totals stay exact', async () => {
    let started: () => void = () => {};
    const building = new Promise<void>((resolve) => {
      started = resolve;
    });
    let finish: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      finish = resolve;
    });
    // Held once armed: the upload's own render (the thumbhash) goes through the engine first.
    let armed = false;
    const h = appHarness((d) => ({
      transformer: {
        ...d.transformer,
        transform: async (open, plan) => {
          const out = await d.transformer.transform(open, plan);
          if (!armed) return out;
          started();
          await held;
          return out;
        },
      },
    }));
    const user = await newUser(h.target);
    const created = await upload(h.target, user, await png(30, 30));
    armed = true;
    const key = await storageKeyOf(created.id);
    const usage = async () =>
      (
        (await (await h.target.fetch('/api/v1/user/usage', { headers: bearer(user) })).json()) as {
          storage: { bytes_stored: number; images_count: number };
        }
      ).storage;
    expect(await usage()).toMatchObject({ images_count: 1 });

    const pending = fetchVariant(h.target, user, created.id, 'width=10');
    await building;
    expect(
      (await h.target.fetch(`/api/v1/images/${created.id}`, { method: 'DELETE', headers: bearer(user) })).status,
    ).toBe(204);
    finish();
    expect((await pending).status).toBe(200);
    // Not left for the hourly sweep: gone as soon as the build finished.
    expect(await keysUnder(variantPrefix(key))).toEqual([]);
    expect(await h.base.db.select().from(imageVariants).where(eq(imageVariants.imageId, created.id))).toEqual([]);
    expect(await usage()).toEqual(expect.objectContaining({ images_count: 0, bytes_stored: 0 }));
  });
});
