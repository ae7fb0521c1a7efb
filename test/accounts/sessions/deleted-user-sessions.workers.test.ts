import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { users } from '../../../src/db/schema';
import { AUTH_ROUTES, callAuthRoute, expectChallenge } from '../../support/auth-routes';
import { bearer, json, newUser, withCookie } from '../../support/client';
import { png } from '../../support/images';
import { upload } from '../../support/upload';
import { appHarness } from '../../support/workers/app-harness';

describe('a session whose user is gone', () => {
  it('answers a 401 challenge on every kind of route once the user row is deleted, by bearer and by cookie', async () => {
    const h = appHarness();
    const user = await newUser(h.target, 'deleted');
    const image = await upload(h.target, user, await png(2, 2), { tags: ['x'] });
    expect((await h.target.fetch('/api/v1/user', { headers: bearer(user) })).status).toBe(200);

    await h.deps.db.delete(users).where(eq(users.id, user.id));

    for (const route of AUTH_ROUTES) {
      await expectChallenge(await callAuthRoute(h.target, route, image.id, bearer(user)), `${route.label} bearer`);
      await expectChallenge(await callAuthRoute(h.target, route, image.id, withCookie(user)), `${route.label} cookie`);
    }
    expect(h.logs.filter((l) => l.level === 'error')).toEqual([]);
  });

  it('never hands a deleted user id to a new account, so an old token cannot open it', async () => {
    const h = appHarness();
    const gone = await newUser(h.target, 'deleted-then-new');
    await h.deps.db.delete(users).where(eq(users.id, gone.id));
    // The newest id is gone: without AUTOINCREMENT SQLite would give it out again.
    const next = await newUser(h.target, 'after-delete');
    expect(next.id).toBeGreaterThan(gone.id);
    const res = await h.target.fetch('/api/v1/user', { headers: bearer(gone) });
    await expectChallenge(res, 'old token');
    // Same email, new account: still another id.
    const again = await h.target.fetch('/api/v1/user/register', json({ email: gone.email, password: gone.password }));
    expect(again.status).toBe(201);
    expect(((await again.json()) as { id: number }).id).not.toBe(gone.id);
    await expectChallenge(await h.target.fetch('/api/v1/user', { headers: bearer(gone) }), 'old token, same email');
  });
});
