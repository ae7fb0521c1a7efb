import { join } from 'node:path';
import { expect, it } from 'vitest';
import { bearer, json, newUser } from '../support/client';
import { bytesOf, legacyUpload } from '../support/image-api';
import { png } from '../support/images';
import { objectFiles } from '../support/node/files';
import { dataDir, httpTarget, spawnEntry, startInProcess } from '../support/node/servers';

// One data directory, three server lifetimes: Node, then Bun, then Node again. What one wrote
// (rows, bytes, the session signed with AUTH_SECRET) the next one serves; the migrations, applied
// at every start, find nothing left to do.
it('keeps accounts, images and sessions across restarts, and across Node and Bun', async () => {
  const data = await dataDir();
  try {
    const image = await png(7, 5);

    const first = await startInProcess(data.env);
    const firstTarget = httpTarget('node', first.origin);
    const user = await newUser(firstTarget, 'restart');
    const uploaded = await legacyUpload(firstTarget, user, image, { name: 'kept.png', tags: ['a', 'b'] });
    await first.shutdown('restart test');
    expect(await objectFiles(join(data.dir, 'images'))).toHaveLength(1);

    const second = await spawnEntry('bun', data.env, data.dir);
    try {
      const bun = httpTarget('bun', second.origin);
      // The token issued before the restart still works: same secret, same user row.
      const me = await bun.fetch('/api/v1/user', { headers: bearer(user) });
      expect(me.status).toBe(200);
      expect(await me.json()).toMatchObject({ id: user.id, email: user.email });
      const login = await bun.fetch('/api/v1/user/login', json({ email: user.email, password: user.password }));
      expect(login.status).toBe(200);
      const file = await bun.fetch(`/api/image/${uploaded.img_id}`, { headers: bearer(user) });
      expect(file.status).toBe(200);
      expect(await bytesOf(file)).toEqual(image);
      const tags = await bun.fetch(`/api/${uploaded.img_id}/tags`, { headers: bearer(user) });
      expect(await tags.json()).toEqual(['a', 'b']);
    } finally {
      expect(await second.stop()).toEqual({ code: 0, signal: null });
    }

    const third = await startInProcess(data.env);
    try {
      const node = httpTarget('node', third.origin);
      const list = await node.fetch('/api/images', { headers: bearer(user) });
      expect(((await list.json()) as { img_id: number }[]).map((i) => i.img_id)).toEqual([uploaded.img_id]);
      const removed = await node.fetch(`/api/image/${uploaded.img_id}`, { method: 'DELETE', headers: bearer(user) });
      expect(removed.status).toBeLessThan(300);
      expect((await node.fetch(`/api/image/${uploaded.img_id}`, { headers: bearer(user) })).status).toBe(404);
      expect(await objectFiles(join(data.dir, 'images'))).toEqual([]);
    } finally {
      await third.shutdown('restart test');
    }
  } finally {
    await data.remove();
  }
});
