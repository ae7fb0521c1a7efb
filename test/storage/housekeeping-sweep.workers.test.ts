import { createScheduledController } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { d1Database } from '../../src/db/client';
import { housekeeping, images, users } from '../../src/db/schema';
import worker from '../../src/index';
import { SWEEP_CURSOR_KEY, SWEEP_GRACE_MS, sweepOrphanBytes } from '../../src/services/housekeeping';
import type { ImageStore } from '../../src/storage/image-store';
import { appHarness } from '../support/workers/app-harness';
import { countingD1 } from '../support/workers/counting-d1';

const db = d1Database(env.DB);
const HOUR = 60 * 60 * 1000;

/** Empties the bucket and the sweep's saved state, so each test sees only what it stored. */
async function reset() {
  for (;;) {
    const page = await env.IMAGES.list();
    if (!page.objects.length) break;
    await env.IMAGES.delete(page.objects.map((o) => o.key));
  }
  await db.delete(housekeeping);
}

async function storedKeys(): Promise<string[]> {
  const keys: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await env.IMAGES.list({ cursor });
    keys.push(...page.objects.map((o) => o.key));
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  return keys.sort();
}

const put = (key: string) => env.IMAGES.put(key, new Uint8Array([1, 2, 3]));

/** An image row pointing at `key`, so the sweep must keep those bytes. */
async function referenced(key: string) {
  const [user] = await db
    .insert(users)
    .values({ email: `hk-${crypto.randomUUID()}@example.com`, passwordHash: 'x' })
    .returning();
  await db.insert(images).values({
    ownerId: user?.id ?? 0,
    name: 'kept.png',
    contentType: 'image/png',
    size: 3,
    storageKey: key,
    sha256: '0'.repeat(64),
  });
  await put(key);
}

const savedCursor = async () =>
  (await db.select().from(housekeeping).where(eq(housekeeping.key, SWEEP_CURSOR_KEY)))[0]?.value;

beforeEach(reset);
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('the scheduled entry (cron)', () => {
  it('removes old unreferenced bytes and keeps referenced and recent ones', async () => {
    await referenced('images/kept');
    await put('images/orphan');
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});

    // Within the grace period nothing goes: an upload may still be writing its rows.
    await worker.scheduled(createScheduledController({ cron: '17 * * * *' }), env);
    expect(await storedKeys()).toEqual(['images/kept', 'images/orphan']);

    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + SWEEP_GRACE_MS + HOUR);
    await worker.scheduled(createScheduledController({ cron: '17 * * * *' }), env);
    expect(await storedKeys()).toEqual(['images/kept']);
    const lines = log.mock.calls.map(([line]) => JSON.parse(String(line)) as Record<string, unknown>);
    expect(lines).toContainEqual(
      expect.objectContaining({ message: 'housekeeping sweep', cron: '17 * * * *', deleted: 1, passComplete: true }),
    );
  });

  it('fails the cron event when the sweep fails, rather than reporting success', async () => {
    const broken = {
      ...env,
      IMAGES: { list: () => Promise.reject(new Error('injected R2 outage')) } as unknown as R2Bucket,
    } as Env;
    await expect(worker.scheduled(createScheduledController({ cron: '17 * * * *' }), broken)).rejects.toThrow(
      'injected R2 outage',
    );
  });
});

describe('sweepOrphanBytes at scale', () => {
  // Pages of 3 keys stand for R2's pages of 1,000.
  const seedOrphans = async (n: number) => {
    for (let i = 0; i < n; i++) await put(`images/orphan-${String(i).padStart(2, '0')}`);
  };

  it('handles a bounded number of pages per run and resumes from the saved cursor', async () => {
    await seedOrphans(14);
    await referenced('images/orphan-05x'); // sorts between orphan-05 and orphan-06: must survive
    const counter = { calls: 0 };
    const h = appHarness(() => ({ db: d1Database(countingD1(env.DB, counter)) }));
    h.advance(SWEEP_GRACE_MS + HOUR);
    const run = async () => {
      counter.calls = 0;
      return sweepOrphanBytes(h.deps, { pages: 2, pageSize: 3 });
    };

    expect(await run()).toEqual({ scanned: 6, deleted: 6, pages: 2, passComplete: false });
    // Per run: the cursor read, one reference query per page, the cursor write, the release of
    // stale variant reservations.
    expect(counter.calls).toBe(1 + 2 + 1 + 1);
    expect(await savedCursor()).toBe('images/orphan-05');

    expect(await run()).toEqual({ scanned: 6, deleted: 5, pages: 2, passComplete: false });
    expect(counter.calls).toBe(5);
    expect(await savedCursor()).toBe('images/orphan-10');
    expect(await storedKeys()).toEqual([
      'images/orphan-05x',
      'images/orphan-11',
      'images/orphan-12',
      'images/orphan-13',
    ]);

    expect(await run()).toEqual({ scanned: 3, deleted: 3, pages: 1, passComplete: true });
    expect(counter.calls).toBe(4);
    expect(await savedCursor()).toBeUndefined();
    expect(await storedKeys()).toEqual(['images/orphan-05x']);
  });

  it('starts a new pass when the store refuses the saved cursor', async () => {
    await put('images/a');
    await db.insert(housekeeping).values({ key: SWEEP_CURSOR_KEY, value: 'gone' });
    const h = appHarness((d) => ({
      store: {
        ...d.store,
        list: (options) =>
          options.cursor === 'gone' ? Promise.reject(new Error('bad cursor')) : d.store.list(options),
      } satisfies ImageStore,
    }));
    h.advance(SWEEP_GRACE_MS + HOUR);
    expect(await sweepOrphanBytes(h.deps)).toMatchObject({ scanned: 1, deleted: 1, passComplete: true });
    expect(await savedCursor()).toBeUndefined();
    expect(h.logs.some((l) => l.level === 'warn' && l.message.includes('starting a new pass'))).toBe(true);
  });
});
