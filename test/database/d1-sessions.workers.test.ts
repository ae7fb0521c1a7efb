import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it, vi } from 'vitest';
import { BOOKMARK_HEADER, d1Sessions, parseBookmark, type SessionStart, sessionStart } from '../../src/db/d1-session';
import worker from '../../src/index';
import { bearer, json, newUser, problem } from '../support/client';
import { png } from '../support/images';
import { uploadRaw } from '../support/upload';
import { appHarness } from '../support/workers/app-harness';
import { workersTarget } from '../support/workers/target';

/** A harness whose D1 sessions are real, with every session's start recorded. */
function recordingHarness() {
  const starts: SessionStart[] = [];
  const real = d1Sessions(env.DB);
  const harness = appHarness(() => ({
    dbSessions: (start) => {
      starts.push(start);
      return real(start);
    },
  }));
  return { ...harness, starts };
}

describe('where a session starts', () => {
  it.each([
    ['GET', '/healthz', undefined, 'first-unconstrained'],
    ['GET', '/api/v1/user/usage', undefined, 'first-unconstrained'],
    ['GET', '/api/v1/images', undefined, 'first-primary'],
    ['GET', '/api/v1/images/7/file', undefined, 'first-primary'],
    ['GET', '/api/image/7', undefined, 'first-primary'],
    ['GET', '/api/v1/tags', undefined, 'first-primary'],
    ['HEAD', '/api/v1/images/7/file', 'b-1', { bookmark: 'b-1' }],
    ['GET', '/api/v1/user/usage', 'b-1', { bookmark: 'b-1' }],
    ['GET', '/api/v1/images', 'b-1', { bookmark: 'b-1' }],
    // The primary is never older than any bookmark: these ignore one safely.
    ['GET', '/api/v1/shared/abc', 'b-1', 'first-primary'],
    ['GET', '/api/v1/admin/usage', 'b-1', 'first-primary'],
    ['POST', '/api/v1/images', 'b-1', 'first-primary'],
    ['PUT', '/api/v1/images/7/tags', undefined, 'first-primary'],
    ['DELETE', '/api/v1/images/7', 'b-1', 'first-primary'],
    ['POST', '/healthz', undefined, 'first-primary'],
  ] as const)('%s %s (bookmark %s) → %j', (method, path, bookmark, expected) => {
    expect(sessionStart(method, path, bookmark)).toEqual(expected);
  });

  it('reads a bookmark header, and tells a malformed one from none', () => {
    expect(parseBookmark(undefined)).toBeUndefined();
    expect(parseBookmark('  ')).toBeUndefined();
    expect(parseBookmark(' 0000007b-0000b26e-00001538-0c3e87bb37b3db5cc52eedb93cd3b96b ')).toBe(
      '0000007b-0000b26e-00001538-0c3e87bb37b3db5cc52eedb93cd3b96b',
    );
    for (const bad of ['first-primary', 'first-unconstrained', 'not a bookmark', '00-zz', '0'.repeat(65), '0-', '-0']) {
      expect(parseBookmark(bad), bad).toBeNull();
    }
  });
});

describe('read replication through the Workers entry', () => {
  it('answers a write with a bookmark, and a read sent with it sees the write', async () => {
    const user = await newUser(workersTarget, 'bookmark');
    const uploaded = await uploadRaw(workersTarget, user, await png(2, 2));
    expect(uploaded.status).toBe(201);
    const written = uploaded.headers.get(BOOKMARK_HEADER);
    expect(written).toBeTruthy();
    expect(parseBookmark(written ?? undefined)).toBe(written);
    const { id } = (await uploaded.json()) as { id: number };

    const read = await workersTarget.fetch(`/api/v1/images/${id}`, {
      headers: bearer(user, { [BOOKMARK_HEADER]: written as string }),
    });
    expect(read.status).toBe(200);
    expect(((await read.json()) as { id: number }).id).toBe(id);
    // The session went on from the bookmark sent: it answers one no older.
    const after = read.headers.get(BOOKMARK_HEADER) as string;
    expect(after.localeCompare(written as string)).toBeGreaterThanOrEqual(0);
  });

  it('moves the bookmark on with each write', async () => {
    const user = await newUser(workersTarget, 'bookmark-order');
    const first = await uploadRaw(workersTarget, user, await png(2, 2));
    const second = await uploadRaw(workersTarget, user, await png(3, 2), {});
    const [a, b] = [first.headers.get(BOOKMARK_HEADER), second.headers.get(BOOKMARK_HEADER)] as [string, string];
    expect(b.localeCompare(a)).toBeGreaterThan(0);
  });

  it('refuses a malformed bookmark with a 400 problem, before touching the database', async () => {
    const user = await newUser(workersTarget, 'bookmark-bad');
    const res = await workersTarget.fetch('/api/v1/images', {
      headers: bearer(user, { [BOOKMARK_HEADER]: 'first-unconstrained' }),
    });
    expect(res.status).toBe(400);
    expect((await problem(res)).detail).toContain(BOOKMARK_HEADER);
    expect(res.headers.get(BOOKMARK_HEADER)).toBeNull();
  });

  it('leaves every query on the primary, with no bookmark, while D1_READ_REPLICATION is off', async () => {
    const off = { ...env, D1_READ_REPLICATION: 'off' } as unknown as Env;
    const ctx = createExecutionContext();
    const res = await worker.fetch(new Request('http://localhost/healthz'), off, ctx);
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(200);
    expect(res.headers.get(BOOKMARK_HEADER)).toBeNull();
    // The same request through the pool's env (on) does answer one: the switch is what differs.
    expect((await workersTarget.fetch('/healthz')).headers.get(BOOKMARK_HEADER)).toBeTruthy();
  });

  it('refuses to serve with a D1_READ_REPLICATION other than on or off', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    const bad = { ...env, D1_READ_REPLICATION: 'yes' } as unknown as Env;
    const ctx = createExecutionContext();
    const res = await worker.fetch(new Request('http://localhost/healthz'), bad, ctx);
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(500);
    expect((await problem(res)).detail).toBe('The server is misconfigured.');
    expect(errors.mock.calls.some(([line]) => String(line).includes('D1_READ_REPLICATION'))).toBe(true);
    errors.mockRestore();
  });

  it('answers no bookmark where no statement ran', async () => {
    const res = await workersTarget.fetch('/api/v1/user', {});
    expect(res.status).toBe(401);
    expect(res.headers.get(BOOKMARK_HEADER)).toBeNull();
  });
});

describe('the session each route gets', () => {
  it('starts the health check and usage counts anywhere, other reads and all writes at the primary', async () => {
    const h = recordingHarness();
    const user = await newUser(h.target, 'starts');
    h.starts.length = 0;

    const health = await h.target.fetch('/healthz');
    expect(health.status).toBe(200);
    const usage = await h.target.fetch('/api/v1/user/usage', { headers: bearer(user) });
    expect(usage.status).toBe(200);
    const list = await h.target.fetch('/api/v1/images', { headers: bearer(user) });
    expect(list.status).toBe(200);
    const written = await uploadRaw(h.target, user, await png(2, 2));
    expect(written.status).toBe(201);
    const bookmark = written.headers.get(BOOKMARK_HEADER) as string;
    const listed = await h.target.fetch('/api/v1/images', { headers: bearer(user, { [BOOKMARK_HEADER]: bookmark }) });
    expect(listed.status).toBe(200);
    const tagged = await h.target.fetch(
      `/api/v1/images/${((await written.json()) as { id: number }).id}/tags`,
      json({ tags: ['x'] }, { method: 'PUT', headers: bearer(user, { [BOOKMARK_HEADER]: bookmark }) }),
    );
    expect(tagged.status).toBe(200);

    expect(h.starts).toEqual([
      'first-unconstrained',
      'first-unconstrained',
      'first-primary',
      'first-primary',
      { bookmark },
      'first-primary',
    ]);
  });

  it('leaves Node and Bun (no sessions) on their one database', async () => {
    const h = appHarness();
    const res = await h.target.fetch('/healthz');
    expect(res.status).toBe(200);
    expect(res.headers.get(BOOKMARK_HEADER)).toBeNull();
  });

  it('exposes the header to allowed browser origins and lets them send it', async () => {
    const h = appHarness(() => ({ dbSessions: d1Sessions(env.DB) }), {
      vars: { CORS_ORIGINS: 'https://app.example' },
    });
    const pre = await h.target.fetch('/api/v1/images', {
      method: 'OPTIONS',
      headers: {
        origin: 'https://app.example',
        'access-control-request-method': 'GET',
        'access-control-request-headers': BOOKMARK_HEADER,
      },
    });
    expect(pre.headers.get('access-control-allow-headers')?.toLowerCase()).toContain(BOOKMARK_HEADER);
    const res = await h.target.fetch('/healthz', { headers: { origin: 'https://app.example' } });
    const user = await newUser(h.target, 'cors');
    const got = await h.target.fetch('/api/v1/user', { headers: bearer(user, { origin: 'https://app.example' }) });
    expect(res.status).toBe(200);
    expect(got.headers.get('access-control-expose-headers')?.toLowerCase()).toContain(BOOKMARK_HEADER);
    expect(got.headers.get(BOOKMARK_HEADER)).toBeTruthy();
    // A refused bookmark's 400 still carries CORS headers, so a browser client can read why.
    const refused = await h.target.fetch('/api/v1/user', {
      headers: bearer(user, { origin: 'https://app.example', [BOOKMARK_HEADER]: 'nope' }),
    });
    expect(refused.status).toBe(400);
    expect(refused.headers.get('access-control-allow-origin')).toBe('https://app.example');
  });
});
