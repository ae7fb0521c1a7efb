import { describe, expect, it } from 'vitest';
import { bearer, form, json, newUser, problem, type TestUser, uniqueEmail } from '../support/client';
import { gif, png } from '../support/images';
import { asKey, createKey } from '../support/keys';
import type { Scenario } from '../support/scenarios';
import { parseTar, sha256Hex } from '../support/tar';
import { fromNewAddress, type Target } from '../support/target';
import { upload } from '../support/upload';

const login = (t: Target, email: string, password: string) => t.fetch('/api/v1/user/login', json({ email, password }));

const me = (t: Target, user: Pick<TestUser, 'token'>) => t.fetch('/api/v1/user', { headers: bearer(user) });

const post = (t: Target, path: string, user: Pick<TestUser, 'token'>, body: unknown, method = 'POST') =>
  t.fetch(path, json(body, { method, headers: bearer(user) }));

/** A second login of the same account: another session that a password change must end. */
async function secondSession(t: Target, user: TestUser): Promise<TestUser> {
  const res = await login(t, user.email, user.password);
  expect(res.status).toBe(200);
  return { ...user, token: ((await res.json()) as { token: string }).token };
}

async function expectProblem(res: Response, status: number, detail?: RegExp) {
  expect(res.status).toBe(status);
  const body = await problem(res);
  if (detail) expect(body.detail ?? body.title).toMatch(detail);
  return body;
}

const accountLifecycle: Scenario = (target) => {
  describe('change password', () => {
    const path = '/api/v1/user/password';

    it('needs the current password; ends every other session and token, hands out a new one, keeps keys', async () => {
      const t = fromNewAddress(target());
      const user = await newUser(t, 'pw');
      const other = await secondSession(t, user);
      const key = await createKey(t, user, { scope: 'read' });
      const res = await post(t, path, user, { current_password: user.password, new_password: 'brand new password' });
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.headers.getSetCookie().some((c) => c.startsWith('auth_token='))).toBe(true);
      const fresh = (await res.json()) as { token: string; token_type: string };
      expect(fresh.token_type).toBe('Bearer');
      expect((await me(t, user)).status).toBe(401);
      expect((await me(t, other)).status).toBe(401);
      expect((await me(t, fresh)).status).toBe(200);
      expect((await me(t, asKey(user, key))).status).toBe(200);
      expect((await login(t, user.email, user.password)).status).toBe(401);
      expect((await login(t, user.email, 'brand new password')).status).toBe(200);
    });

    it('revokes the API keys when asked (a form says it as text)', async () => {
      const t = fromNewAddress(target());
      const user = await newUser(t, 'pwkeys');
      const key = await createKey(t, user, { scope: 'read-write' });
      const res = await t.fetch(
        path,
        form(
          [
            ['current_password', user.password],
            ['new_password', 'another new password'],
            ['revoke_api_keys', 'true'],
          ],
          { headers: bearer(user) },
        ),
      );
      expect(res.status).toBe(200);
      expect((await me(t, asKey(user, key))).status).toBe(401);
    });

    it('refuses a wrong current password (403), bad input (400), a key (403), another media type (415), no session (401)', async () => {
      const t = fromNewAddress(target());
      const user = await newUser(t, 'pwbad');
      await expectProblem(
        await post(t, path, user, { current_password: 'wrong password', new_password: 'whatever123' }),
        403,
        /password is wrong/,
      );
      const short = await expectProblem(
        await post(t, path, user, { current_password: user.password, new_password: 'short' }),
        400,
      );
      expect(short.errors?.map((e) => e.name)).toContain('new_password');
      const missing = await expectProblem(await post(t, path, user, { new_password: 'long enough now' }), 400);
      expect(missing.errors?.map((e) => e.name)).toContain('current_password');
      await expectProblem(
        await post(t, path, user, {
          current_password: user.password,
          new_password: 'long enough now',
          revoke_api_keys: 'maybe',
        }),
        400,
      );
      const key = await createKey(t, user, { scope: 'read-write' });
      await expectProblem(
        await post(t, path, asKey(user, key), { current_password: user.password, new_password: 'long enough now' }),
        403,
      );
      await expectProblem(
        await t.fetch(path, { method: 'POST', headers: bearer(user, { 'content-type': 'text/plain' }), body: 'x' }),
        415,
      );
      await expectProblem(
        await t.fetch(path, json({ current_password: user.password, new_password: 'long enough now' })),
        401,
      );
      // Nothing changed.
      expect((await me(t, user)).status).toBe(200);
      expect((await login(t, user.email, user.password)).status).toBe(200);
    });
  });

  describe('change email', () => {
    const path = '/api/v1/user/email';

    it('needs the password; normalises like registration; the new email logs in, the old one does not', async () => {
      const t = fromNewAddress(target());
      const user = await newUser(t, 'mail');
      const wanted = uniqueEmail('moved');
      const res = await post(t, path, user, { email: `  ${wanted.toUpperCase()} `, password: user.password });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { email: string }).email).toBe(wanted);
      expect((await me(t, user)).status).toBe(200);
      expect((await login(t, wanted, user.password)).status).toBe(200);
      expect((await login(t, user.email, user.password)).status).toBe(401);
    });

    it('refuses an email another account has (409, case-insensitively), a bad email (400), a wrong password (403)', async () => {
      const t = fromNewAddress(target());
      const user = await newUser(t, 'mail2');
      const other = await newUser(t, 'mail3');
      await expectProblem(
        await post(t, path, user, { email: other.email.toUpperCase(), password: user.password }),
        409,
      );
      const bad = await expectProblem(
        await post(t, path, user, { email: 'not an email', password: user.password }),
        400,
      );
      expect(bad.errors?.map((e) => e.name)).toContain('email');
      await expectProblem(await post(t, path, user, { email: uniqueEmail(), password: 'wrong password' }), 403);
      await expectProblem(await post(t, path, user, { email: uniqueEmail() }), 400);
      expect(((await (await me(t, user)).json()) as { email: string }).email).toBe(user.email);
    });

    it('is throttled like a login: after the failures a pair allows, even the right password gets 429', async () => {
      const t = fromNewAddress(target());
      const user = await newUser(t, 'mailthrottle');
      for (let i = 0; i < 10; i++) {
        await expectProblem(await post(t, path, user, { email: uniqueEmail(), password: `wrong ${i}` }), 403);
      }
      const refused = await post(t, path, user, { email: uniqueEmail(), password: user.password });
      await expectProblem(refused, 429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      // The login of the same account from the same address shares the counters.
      expect((await login(t, user.email, user.password)).status).toBe(429);
    });
  });

  describe('export', () => {
    it('streams every image and its metadata as a tar archive the manifest describes', async () => {
      const t = target();
      const user = await newUser(t, 'export');
      const first = await png(8, 6);
      const second = gif(3, 2);
      const a = await upload(t, user, first, { name: 'first one.png', tags: ['cats', 'x'] });
      const b = await upload(t, user, second, { name: 'ünïcode.gif', contentType: 'image/gif' });
      const res = await t.fetch('/api/v1/user/export', { headers: bearer(user) });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/x-tar');
      expect(res.headers.get('content-disposition')).toMatch(
        /^attachment; filename="imageapi-export-\d+-\d{4}-\d\d-\d\d\.tar"$/,
      );
      const { files, ended } = parseTar(new Uint8Array(await res.arrayBuffer()));
      expect(ended).toBe(true);
      const byName = new Map(files.map((f) => [f.name, f]));
      const summary = JSON.parse(new TextDecoder().decode(files.at(-1)?.bytes)) as Record<string, unknown>;
      expect(files.at(-1)?.name).toBe('manifest.json');
      expect(summary).toMatchObject({
        format: 'imageapi-export',
        version: 1,
        images: 2,
        bytes: first.length + second.length,
        manifest_pages: 1,
      });
      expect(summary.user).toMatchObject({ id: user.id, email: user.email });
      const page = JSON.parse(new TextDecoder().decode(byName.get('manifest/000001.json')?.bytes)) as {
        id: number;
        name: string;
        file: string;
        sha256: string;
        content_type: string;
        tags: string[];
        size: number;
        created_at: string;
      }[];
      expect(page.map((e) => e.id).sort()).toEqual([a.id, b.id].sort());
      for (const entry of page) {
        const file = byName.get(entry.file);
        expect(file?.bytes.length).toBe(entry.size);
        expect(await sha256Hex(file?.bytes ?? new Uint8Array())).toBe(entry.sha256);
      }
      expect(page.find((e) => e.id === a.id)).toMatchObject({
        name: 'first one.png',
        content_type: 'image/png',
        tags: ['cats', 'x'],
        file: `images/${a.id}.png`,
      });
      expect(page.find((e) => e.id === b.id)).toMatchObject({
        name: 'ünïcode.gif',
        content_type: 'image/gif',
        file: `images/${b.id}.gif`,
      });
      expect(new Date(page[0]?.created_at ?? '').getTime()).not.toBeNaN();
    });

    it('an empty account exports only its summary; no credentials is 401', async () => {
      const t = target();
      const user = await newUser(t, 'export-empty');
      const res = await t.fetch('/api/v1/user/export', { headers: bearer(user) });
      const { files, ended } = parseTar(new Uint8Array(await res.arrayBuffer()));
      expect(ended).toBe(true);
      expect(files.map((f) => f.name)).toEqual(['manifest.json']);
      await expectProblem(await t.fetch('/api/v1/user/export'), 401);
    });
  });

  describe('delete account', () => {
    const del = (t: Target, user: Pick<TestUser, 'token'>, body: unknown) =>
      post(t, '/api/v1/user', user, body, 'DELETE');

    it('needs the password; then every image, variant, key, link and session is gone and the email is free', async () => {
      const t = fromNewAddress(target());
      const user = await newUser(t, 'delete');
      const keep = await newUser(t, 'bystander');
      const mine = await upload(t, user, await png(40, 30), { tags: ['gone'] });
      const theirs = await upload(t, keep, await png(10, 10), { tags: ['gone'] });
      expect((await t.fetch(`/api/v1/images/${mine.id}/file?width=5`, { headers: bearer(user) })).status).toBe(200);
      const key = await createKey(t, user, { scope: 'read-write' });
      const linkRes = await post(t, `/api/v1/images/${mine.id}/links`, user, {});
      expect(linkRes.status).toBe(201);
      const link = (await linkRes.json()) as { url: string };
      const keysBefore = t.storedKeys ? await t.storedKeys() : undefined;

      await expectProblem(await del(t, user, { password: 'wrong password' }), 403);
      await expectProblem(await del(t, user, {}), 400);
      await expectProblem(await del(t, asKey(user, key), { password: user.password }), 403);
      expect((await me(t, user)).status).toBe(200);

      const res = await del(t, user, { password: user.password });
      expect(res.status).toBe(204);
      expect(res.headers.getSetCookie().some((c) => /^auth_token=;/.test(c))).toBe(true);
      expect((await me(t, user)).status).toBe(401);
      expect((await me(t, asKey(user, key))).status).toBe(401);
      expect((await login(t, user.email, user.password)).status).toBe(401);
      expect((await t.fetch(new URL(link.url).pathname)).status).toBe(404);
      if (keysBefore && t.storedKeys) {
        const after = await t.storedKeys();
        const gone = [...keysBefore].filter((k) => !after.has(k));
        // The original and its variant(s), nothing of anyone else's.
        expect(gone.length).toBeGreaterThanOrEqual(2);
        expect([...after].some((k) => gone.some((g) => k.startsWith(g)))).toBe(false);
      }
      // The bystander is untouched, its tag included.
      const tags = (await (await t.fetch('/api/v1/tags', { headers: bearer(keep) })).json()) as unknown;
      expect(JSON.stringify(tags)).toContain('gone');
      expect((await t.fetch(`/api/v1/images/${theirs.id}/file`, { headers: bearer(keep) })).status).toBe(200);
      const usage = (await (await t.fetch('/api/v1/user/usage', { headers: bearer(keep) })).json()) as {
        storage: { images_count: number };
      };
      expect(usage.storage.images_count).toBe(1);
      // The email is free again.
      const again = await t.fetch('/api/v1/user/register', json({ email: user.email, password: user.password }));
      expect(again.status).toBe(201);
    });
  });
};

export default accountLifecycle;
