import { env } from 'cloudflare:workers';
import { eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { d1Database } from '../../src/db/client';
import { usageDays, usageRequests } from '../../src/db/schema';
import { UsageRecorder } from '../../src/services/usage-recorder';
import { bearer, newUser, type TestUser } from '../support/client';
import { appHarness } from '../support/workers/app-harness';

const db = d1Database(env.DB);

/** The database, counting batches and failing them on demand. */
function countingDb(state: { batches: number; fail: boolean }) {
  return new Proxy(db, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (prop !== 'batch') return value;
      return (statements: unknown) => {
        state.batches++;
        if (state.fail) return Promise.reject(new Error('injected'));
        return value.call(target, statements);
      };
    },
  });
}

const requestsOf = async (userId: number) =>
  Object.fromEntries(
    (await db.select().from(usageRequests).where(eq(usageRequests.userId, userId))).map((r) => [
      `${r.day} ${r.operation}`,
      r.count,
    ]),
  );
const daysOf = (userId: number) => db.select().from(usageDays).where(eq(usageDays.userId, userId));

describe('UsageRecorder', () => {
  let user: TestUser;
  let other: TestUser;

  beforeAll(async () => {
    const h = appHarness();
    user = await newUser(h.target, 'recorder');
    other = await newUser(h.target, 'recorder-other');
  });

  it('aggregates in memory and writes every user and day in one batch, adding to what is stored', async () => {
    const state = { batches: 0, fail: false };
    const r = new UsageRecorder({ flushAfterMs: 60_000 });
    for (let i = 0; i < 5; i++) r.record({ userId: user.id, day: '2026-01-01', operation: 'listImages' });
    r.record({ userId: user.id, day: '2026-01-01', operation: 'getImageFile', bytesDownloaded: 300 });
    r.record({ userId: user.id, day: '2026-01-02', operation: 'uploadImage', bytesUploaded: 70 });
    r.record({ userId: other.id, day: '2026-01-01', operation: 'uploadImage', uploadsRefused: 1 });
    // A user deleted meanwhile is dropped, not a failed batch.
    r.record({ userId: 987_654_321, day: '2026-01-01', operation: 'listImages' });
    await r.flush(countingDb(state));
    expect(state.batches).toBe(1);
    expect(r.empty).toBe(true);
    await r.flush(countingDb(state));
    expect(state.batches).toBe(1);

    r.record({ userId: user.id, day: '2026-01-01', operation: 'listImages' });
    await r.flush(countingDb(state));
    expect(await requestsOf(user.id)).toEqual({
      '2026-01-01 listImages': 6,
      '2026-01-01 getImageFile': 1,
      '2026-01-02 uploadImage': 1,
    });
    expect(
      (await daysOf(user.id)).map(({ day, bytesUploaded, bytesDownloaded }) => [day, bytesUploaded, bytesDownloaded]),
    ).toEqual([
      ['2026-01-01', 0, 300],
      ['2026-01-02', 70, 0],
    ]);
    expect(await daysOf(other.id)).toMatchObject([{ day: '2026-01-01', uploadsRefused: 1 }]);
  });

  it('keeps the counts when a write fails and writes them once on the next try', async () => {
    const state = { batches: 0, fail: true };
    const r = new UsageRecorder({ flushAfterMs: 60_000 });
    r.record({ userId: user.id, day: '2026-02-01', operation: 'getImage' });
    r.record({ userId: user.id, day: '2026-02-01', operation: 'getImage', bytesDownloaded: 5 });
    await expect(r.flush(countingDb(state))).rejects.toThrow('injected');
    expect(r.empty).toBe(false);
    state.fail = false;
    r.record({ userId: user.id, day: '2026-02-01', operation: 'getImage' });
    await r.flush(countingDb(state));
    expect((await requestsOf(user.id))['2026-02-01 getImage']).toBe(3);
    expect((await daysOf(user.id)).find((d) => d.day === '2026-02-01')?.bytesDownloaded).toBe(5);
  });

  it('writes after N requests on Node/Bun (nudge), and not before', async () => {
    const state = { batches: 0, fail: false };
    const r = new UsageRecorder({ flushAfterMs: 60_000, flushAtRequests: 3 });
    const nudged = async () => {
      r.nudge(countingDb(state));
      await new Promise((resolve) => setTimeout(resolve, 20));
    };
    r.record({ userId: user.id, day: '2026-03-01', operation: 'a' });
    r.record({ userId: user.id, day: '2026-03-01', operation: 'b' });
    await nudged();
    expect(state.batches).toBe(0);
    r.record({ userId: user.id, day: '2026-03-01', operation: 'a' });
    await nudged();
    expect(state.batches).toBe(1);
    expect(r.empty).toBe(true);
  });

  it('on Workers, the first request of a quiet spell holds one timer and writes when the counts are due', async () => {
    const state = { batches: 0, fail: false };
    let now = 1_000;
    const sleeps: { ms: number; wake: () => void }[] = [];
    const r = new UsageRecorder({
      flushAfterMs: 5_000,
      now: () => now,
      sleep: (ms) => new Promise<void>((wake) => sleeps.push({ ms, wake })),
    });
    const database = countingDb(state);
    r.record({ userId: user.id, day: '2026-04-01', operation: 'x' });
    const first = r.settle(database);
    now += 2_000;
    r.record({ userId: user.id, day: '2026-04-01', operation: 'x' });
    await r.settle(database); // a timer is already armed: nothing to wait for
    expect(sleeps.map((s) => s.ms)).toEqual([5_000]);
    expect(state.batches).toBe(0);
    now += 3_000;
    sleeps[0]?.wake();
    await first;
    expect(state.batches).toBe(1);
    expect((await requestsOf(user.id))['2026-04-01 x']).toBe(2);
    // Due already (0 s delay): written at once.
    const eager = new UsageRecorder({ flushAfterMs: 0 });
    eager.record({ userId: user.id, day: '2026-04-01', operation: 'x' });
    await eager.settle(database);
    expect(state.batches).toBe(2);
  });

  it('lets racing writers each write their own counts exactly once', async () => {
    const state = { batches: 0, fail: false };
    const r = new UsageRecorder({ flushAfterMs: 60_000 });
    const database = countingDb(state);
    const writes: Promise<void>[] = [];
    for (let i = 0; i < 20; i++) {
      r.record({ userId: user.id, day: '2026-05-01', operation: 'y' });
      writes.push(r.flush(database));
    }
    await Promise.all(writes);
    expect((await requestsOf(user.id))['2026-05-01 y']).toBe(20);
  });
});

describe('the usage read', () => {
  it('includes the counts this isolate has not written yet, exactly once', async () => {
    // No execution context and a long delay: nothing is written until the read does it.
    const h = appHarness(undefined, { vars: { USAGE_FLUSH_SECONDS: '20' } });
    const user = await newUser(h.target, 'unflushed');
    for (let i = 0; i < 4; i++) await h.target.fetch('/api/v1/images', { headers: bearer(user) });
    expect(await requestsOf(user.id)).toEqual({});
    const read = async () => {
      const res = await h.target.fetch('/api/v1/user/usage', { headers: bearer(user) });
      return ((await res.json()) as { totals: { requests_by_operation: Record<string, number> } }).totals
        .requests_by_operation;
    };
    expect(await read()).toEqual({ listImages: 4 });
    expect(Object.values(await requestsOf(user.id))).toEqual([4]);
    expect(await read()).toEqual({ listImages: 4, getUsage: 1 });
  });
});
