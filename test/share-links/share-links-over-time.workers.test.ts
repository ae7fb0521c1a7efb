import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { linkToken } from '../../src/auth/share-token';
import { shareLinks } from '../../src/db/schema';
import { bearer, json, newUser, problem } from '../support/client';
import { png } from '../support/images';
import { upload } from '../support/upload';
import { appHarness, randomSecret } from '../support/workers/app-harness';

interface Link {
  id: string;
  url: string;
  expires_at_unix: number;
}

/** Share links against a hand-driven clock: expiry without waiting. */
describe('share links over time', () => {
  it('work until they expire, with max-age counting down, then answer 404 and leave the list', async () => {
    const h = appHarness();
    const user = await newUser(h.target);
    const image = await upload(h.target, user, await png(4, 4));
    const res = await h.target.fetch(
      `/api/v1/images/${image.id}/links`,
      json({ expires_in: 120 }, { headers: bearer(user) }),
    );
    const link = (await res.json()) as Link;
    const open = () => h.target.fetch(new URL(link.url).pathname);

    expect((await open()).headers.get('cache-control')).toBe('private, max-age=120');
    h.advance(119_000);
    const late = await open();
    expect(late.status).toBe(200);
    expect(late.headers.get('cache-control')).toBe('private, max-age=1');
    h.advance(1_000);
    const expired = await open();
    expect(expired.status).toBe(404);
    expect((await problem(expired)).detail).toBe('No such share link.');
    const list = await h.target.fetch(`/api/v1/images/${image.id}/links`, { headers: bearer(user) });
    expect(((await list.json()) as { items: Link[] }).items).toEqual([]);

    // The expired row is cleared when the next link of the image is made.
    expect(await h.base.db.select().from(shareLinks).where(eq(shareLinks.imageId, image.id))).toHaveLength(1);
    const next = await h.target.fetch(`/api/v1/images/${image.id}/links`, json({}, { headers: bearer(user) }));
    expect(next.status).toBe(201);
    const rows = await h.base.db.select().from(shareLinks).where(eq(shareLinks.imageId, image.id));
    expect(rows.map((r) => r.id)).toEqual([((await next.json()) as Link).id]);
  });

  it('refuses a token signed with another secret, for a link that exists', async () => {
    const h = appHarness();
    const user = await newUser(h.target);
    const image = await upload(h.target, user, await png(4, 4));
    const res = await h.target.fetch(`/api/v1/images/${image.id}/links`, json({}, { headers: bearer(user) }));
    const link = (await res.json()) as Link;
    expect((await h.target.fetch(new URL(link.url).pathname)).status).toBe(200);
    const forged = await linkToken(randomSecret(), link.id);
    expect((await h.target.fetch(`/api/v1/shared/${forged}`)).status).toBe(404);
  });

  it('stores no token: the row holds the id, which alone opens nothing', async () => {
    const h = appHarness();
    const user = await newUser(h.target);
    const image = await upload(h.target, user, await png(4, 4));
    const res = await h.target.fetch(`/api/v1/images/${image.id}/links`, json({}, { headers: bearer(user) }));
    const link = (await res.json()) as Link;
    const [row] = await h.base.db.select().from(shareLinks).where(eq(shareLinks.id, link.id));
    const token = new URL(link.url).pathname.split('/').pop() ?? '';
    expect(Object.values(row ?? {})).not.toContain(token);
    expect((await h.target.fetch(`/api/v1/shared/${link.id}`)).status).toBe(404);
  });
});
