import { describe, expect, it } from 'vitest';
import type { GivenDeps } from '../../src/app';
import type { Db } from '../../src/db/client';
import type { ImageStore } from '../../src/storage/image-store';
import { withContract } from '../support/openapi-contract';
import { appHarness } from '../support/workers/app-harness';

/** A database whose every query fails, as when D1 is unreachable. */
function downDb(db: Db): Db {
  return new Proxy(db, {
    get(target, prop, receiver) {
      if (prop === 'run' || prop === 'all' || prop === 'get' || prop === 'batch')
        return () => Promise.reject(new Error('injected database outage'));
      return Reflect.get(target, prop, receiver);
    },
  });
}

const downStore = (store: ImageStore): ImageStore => ({
  ...store,
  ping: () => Promise.reject(new Error('injected store outage')),
});

describe('GET /healthz when a dependency fails', () => {
  it.each<[string, (d: GivenDeps) => Partial<GivenDeps>, string]>([
    ['database', (d) => ({ db: downDb(d.db) }), 'The database failed'],
    ['store', (d) => ({ store: downStore(d.store) }), 'The image store failed'],
  ])('answers a 503 problem naming the %s, and logs why', async (dependency, override, named) => {
    const h = appHarness(override);
    const res = await withContract(h.target).fetch('/healthz');
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(res.headers.get('cache-control')).toBe('no-store');
    // Rendered as every other dependency outage: Retry-After, and the dependency in the log.
    expect(res.headers.get('retry-after')).toBe('5');
    const body = (await res.json()) as { status: number; detail: string };
    expect(body.status).toBe(503);
    expect(body.detail).toContain(named);
    expect(body.detail).not.toMatch(/injected/);
    expect(h.logs).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        message: 'health check failed',
        fields: expect.objectContaining({ dependency, error: expect.stringContaining('injected') }),
      }),
    );
  });

  it('names both when both fail', async () => {
    const h = appHarness((d) => ({ db: downDb(d.db), store: downStore(d.store) }));
    const res = await h.target.fetch('/healthz');
    expect(res.status).toBe(503);
    expect(((await res.json()) as { detail: string }).detail).toBe(
      'The database and the image store failed. Retry shortly.',
    );
  });

  it('is 200 with the same harness when nothing is broken', async () => {
    const res = await withContract(appHarness().target).fetch('/healthz');
    expect(res.status).toBe(200);
  });
});
