import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { openLibsql } from '../../src/db/libsql';
import { usageRequests } from '../../src/db/schema';
import { bearer, newUser } from '../support/client';
import { dataDir, type EntryRuntime, httpTarget, spawnEntry } from '../support/node/servers';

// Usage counts wait in memory (USAGE_FLUSH_SECONDS); stopping the server must write them.
describe.each(['node', 'bun'] as EntryRuntime[])('%s entry', (runtime) => {
  it('writes the usage counts still in memory when it stops on SIGTERM', async () => {
    const data = await dataDir();
    try {
      const server = await spawnEntry(runtime, { ...data.env, USAGE_FLUSH_SECONDS: '20' }, data.dir);
      let userId: number;
      try {
        const target = httpTarget(runtime, server.origin);
        const user = await newUser(target, 'shutdown-usage');
        userId = user.id;
        for (let i = 0; i < 3; i++)
          expect((await target.fetch('/api/v1/images', { headers: bearer(user) })).status).toBe(200);
      } finally {
        const exit = await server.stop();
        expect(exit.code, server.output()).toBe(0);
      }
      const database = await openLibsql({ url: data.env.DATABASE_URL ?? '' });
      try {
        const rows = await database.db.select().from(usageRequests).where(eq(usageRequests.userId, userId));
        expect(rows.map((r) => [r.operation, r.count])).toEqual([['listImages', 3]]);
      } finally {
        database.close();
      }
    } finally {
      await data.remove();
    }
  });
});
